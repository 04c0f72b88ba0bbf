import { z } from 'zod';
import type { EventHandler } from '../service-module.js';
import { joinRoom } from '../join-room.js';
import { parseInput } from '../validate.js';
import type { KnowledgeItemsDomain } from './domain.js';
import { KNOWLEDGE_ROOM } from './events.js';

// No entity to name: a bare `emit('subscribe_items', ack)` is fine too.
const subscribeSchema = z.strictObject({ since: z.number().int().nonnegative().optional() }).optional();
const unsubscribeSchema = z.strictObject({}).optional();

/** Socket.IO handlers of `/knowledge` (also serve legacy clients through the adapter). */
export function knowledgeHandlers(domain: KnowledgeItemsDomain, head: (room: string) => number): Record<string, EventHandler> {
  return {
    subscribe_items(client, payload) {
      parseInput(subscribeSchema, payload, 'subscribe_items');
      return joinRoom(client, KNOWLEDGE_ROOM, head(KNOWLEDGE_ROOM), [['knowledge_items_update', { ...domain.list(), reason: 'subscribe' }]]);
    },
    unsubscribe_items(client, payload) {
      parseInput(unsubscribeSchema, payload, 'unsubscribe_items');
      client.leave(KNOWLEDGE_ROOM);
      return { ok: true };
    },
  };
}
