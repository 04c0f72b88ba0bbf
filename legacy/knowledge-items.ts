/**
 * Legacy endpoint `/api/knowledge-items/stream` (legacy.md §8), as the
 * original `websocket_knowledge_items` served it:
 * - on connect: one `knowledge_items_update` with ALL items and the constant
 *   paging fields; never again (list changes were not pushed);
 * - live: the `crawl_completed`, `upload_completed` and `upload_error`
 *   broadcasts of the connection manager;
 * - `{"type":"heartbeat"}` every 5 s comes from the plan; the server never reads.
 */
import type { KnowledgeItemsDomain } from '../src/services/knowledge-items/domain.js';
import { KNOWLEDGE_ROOM } from '../src/services/knowledge-items/events.js';
import type { LegacyEndpoint } from '../src/services/service-module.js';
import { encodeFrame } from './wire.js';

const BROADCASTS = new Set(['crawl_completed', 'upload_completed', 'upload_error']);

export function knowledgeItemsLegacy(domain: KnowledgeItemsDomain): LegacyEndpoint {
  return {
    open() {
      return { rooms: [KNOWLEDGE_ROOM], frames: [encodeFrame({ type: 'knowledge_items_update', data: domain.list() })] };
    },
    encode(event) {
      if (!BROADCASTS.has(event.event)) return [];
      const { seq: _seq, ...data } = event.payload;
      return [encodeFrame({ type: event.event, data })];
    },
  };
}
