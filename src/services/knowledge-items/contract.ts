import plan from '../../../migrations-plan/knowledge-items.json' with { type: 'json' };
import { defineService } from '../../contract/define.js';
import type { KnowledgeClientToServerEvents, KnowledgeServerToClientEvents } from './events.js';

/** knowledge-items's contract: browser-safe (types and the bundled plan only). */
export const knowledgeItems = defineService<KnowledgeServerToClientEvents, KnowledgeClientToServerEvents>()({
  id: 'knowledge-items',
  plan,
  join: 'subscribe_items',
  room: () => 'knowledge',
});
