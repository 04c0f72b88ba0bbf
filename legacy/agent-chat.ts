/**
 * Legacy endpoint `/api/agent-chat/sessions/{session_id}/ws` (legacy.md §3), as
 * the original `websocket_chat` served it:
 * - unknown session: closed before accept, which uvicorn answered with HTTP 403;
 * - on connect: when another legacy socket of the session is still registered,
 *   the whole history as `message` frames; then `connection_confirmed`;
 * - live: `message` for every stored message, `typing` nested under `data`;
 * - heartbeat and pong come from the plan; `{"type":"ping"}` is ignored.
 */
import type { AgentChatDomain } from '../src/services/agent-chat/domain.js';
import { chatRoom, type ChatLegacyFrame, type ChatMessage } from '../src/services/agent-chat/events.js';
import type { LegacyEndpoint } from '../src/services/service-module.js';
import { encodeFrame } from './wire.js';

function frame(value: ChatLegacyFrame): string {
  return encodeFrame(value);
}

export function agentChatLegacy(domain: AgentChatDomain): LegacyEndpoint {
  return {
    refuse({ params }) {
      return domain.has(params.session_id!) ? undefined : 403;
    },
    open({ params }, peers) {
      const sessionId = params.session_id!;
      const room = chatRoom(sessionId);
      // The legacy server counted itself in (len > 1); `peers` counts the others.
      const replay = peers(room) > 0 && domain.has(sessionId) ? domain.history(sessionId) : [];
      const frames = replay.map((message) => frame({ type: 'message', data: message }));
      frames.push(frame({ type: 'connection_confirmed', data: { session_id: sessionId, status: 'connected' } }));
      return { rooms: [room], frames };
    },
    encode(event) {
      const payload = event.payload;
      switch (event.event) {
        case 'new_message':
          return [frame({ type: 'message', data: payload.message as ChatMessage })];
        case 'typing':
          return [frame({ type: 'typing', data: { is_typing: payload.is_typing as boolean } })];
        default:
          return [];
      }
    },
  };
}
