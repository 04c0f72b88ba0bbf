import plan from '../../../migrations-plan/agent-chat.json' with { type: 'json' };
import { defineService } from '../../contract/define.js';
import type { ChatClientToServerEvents, ChatServerToClientEvents } from './events.js';

/** agent-chat's contract: browser-safe (types and the bundled plan only). */
export const agentChat = defineService<ChatServerToClientEvents, ChatClientToServerEvents>()({
  id: 'agent-chat',
  plan,
  join: 'join_session',
  room: ({ session_id }: { session_id: string }) => `session_${session_id}`,
});
