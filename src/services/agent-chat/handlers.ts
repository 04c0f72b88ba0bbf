import { z } from 'zod';
import { SwitchyardError } from '../../errors/catalogue.js';
import type { EventHandler } from '../service-module.js';
import { joinRoom } from '../join-room.js';
import { parseInput } from '../validate.js';
import type { AgentChatDomain } from './domain.js';
import { committed, embeddedStore, type EntityStore } from '../../domain/entity-store.js';
import { chatRoom } from './events.js';

const sessionId = z.string().min(1).max(200);
const joinSchema = z.strictObject({ session_id: sessionId, since: z.number().int().nonnegative().optional() });
const leaveSchema = z.strictObject({ session_id: sessionId });
const sendSchema = z.strictObject({
  session_id: sessionId,
  message: z.string().min(1).max(32_000),
  id: z.string().min(1).max(200).optional(),
  context: z.record(z.string(), z.unknown()).optional(),
});

/** Socket.IO handlers of `/chat` (also serve legacy clients through the adapter). */
export function chatHandlers(domain: AgentChatDomain, head: (room: string) => number, store: EntityStore = embeddedStore): Record<string, EventHandler> {
  return {
    join_session(client, payload) {
      const { session_id } = parseInput(joinSchema, payload, 'join_session');
      // `since` (resume) is the bridge's business: it replays missed events instead of this snapshot.
      // Synchronous on purpose: the bridge's resume needs the room join in the same tick.
      if (!domain.has(session_id)) throw new SwitchyardError('NOT_FOUND', `unknown chat session ${session_id}`);
      const room = chatRoom(session_id);
      return joinRoom(client, room, head(room), [['session_history', { session_id, messages: domain.history(session_id) }]]);
    },
    send_message(client, payload) {
      const { session_id, message, id, context } = parseInput(sendSchema, payload, 'send_message');
      if (!domain.has(session_id)) throw new SwitchyardError('NOT_FOUND', `unknown chat session ${session_id}`);
      if (!client.rooms.has(chatRoom(session_id))) throw new SwitchyardError('NOT_JOINED', `join_session ${session_id} before send_message`);
      // Acknowledged once stored (cluster mode: committed to the shared store, so an ack is never lost).
      return committed(store.transact(() => domain.postUserMessage(session_id, message, { id, context })),
        (result) => (result.duplicate ? { ok: true, id: result.id, duplicate: true } : { ok: true, id: result.id }));
    },
    leave_session(client, payload) {
      const { session_id } = parseInput(leaveSchema, payload, 'leave_session');
      client.leave(chatRoom(session_id));
      return { ok: true };
    },
  };
}
