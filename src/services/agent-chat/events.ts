/**
 * agent-chat: the event maps both the server and the SDK import.
 * Room: `session_<session_id>`; namespace `/chat`.
 */
import { agentChat } from './contract.js';

/** Who wrote a chat message. */
export type ChatSender = 'user' | 'agent';

/** The agents a session can talk to (legacy.md §3). */
export const AGENT_TYPES = ['docs', 'rag'] as const;
export type AgentType = (typeof AGENT_TYPES)[number];

/**
 * One chat message, in the legacy key order (`ChatMessage.model_dump()`):
 * `id, content, sender, timestamp, agent_type`. `agent_type` is null for user messages.
 */
export interface ChatMessage {
  id: string;
  content: string;
  sender: ChatSender;
  /** Python naive local isoformat, e.g. `2025-06-19T14:02:11.482000`. */
  timestamp: string;
  agent_type: string | null;
}

/** A session as the legacy `GET /api/agent-chat/sessions/:id` returned it (`ChatSession.model_dump()` order). */
export interface ChatSessionView {
  session_id: string;
  project_id: string | null;
  messages: ChatMessage[];
  agent_type: AgentType;
  created_at: string;
}

/** A successful `send_message` ack; `duplicate` marks a repeated client id (not stored or broadcast again). */
export interface SendMessageAck {
  ok: true;
  id: string;
  duplicate?: true;
}

export interface ChatClientToServerEvents {
  /** Join a session's room: `session_history` follows at once, then the ack. Unknown session: ack error NOT_FOUND. */
  join_session(payload: { session_id: string; since?: number }, ack: (result: unknown) => void): void;
  /** Post a user message; a repeated `id` is acknowledged again but stored and broadcast once. Requires a join. */
  send_message(payload: { session_id: string; message: string; id?: string; context?: Record<string, unknown> }, ack: (result: unknown) => void): void;
  /** Leave a session's room. */
  leave_session(payload: { session_id: string }, ack: (result: unknown) => void): void;
}

export interface ChatServerToClientEvents {
  /** The whole (bounded) history of the session, sent to the joining client only. */
  session_history(payload: { session_id: string; messages: ChatMessage[]; seq: number }): void;
  /** A user message (echo) or an agent reply. */
  new_message(payload: { session_id: string; message: ChatMessage; seq: number }): void;
  /** The agent started or stopped working on a reply. */
  typing(payload: { session_id: string; is_typing: boolean; seq: number }): void;
}

/** Legacy frames of `/api/agent-chat/sessions/:session_id/ws`. */
export type ChatLegacyFrame =
  | { type: 'message'; data: ChatMessage }
  /** Nested under `data`: the legacy client read a top-level `is_typing` and so always saw false (legacy.md §3). */
  | { type: 'typing'; data: { is_typing: boolean } }
  | { type: 'connection_confirmed'; data: { session_id: string; status: 'connected' } }
  | { type: 'heartbeat' }
  | { type: 'pong' };

/** The room function of the contract (`./contract.ts`), the one definition of the room name. */
export const chatRoom = (sessionId: string): string => agentChat.room({ session_id: sessionId });

/** The welcome message every new session starts with (the legacy text, whatever the agent type). */
export const WELCOME_TEXT =
  "Hello! I'm your Documentation Assistant. I can help you create, review, and enhance project documents. What would you like to work on?";
