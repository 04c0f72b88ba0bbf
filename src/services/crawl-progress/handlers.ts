import { z } from 'zod';
import type { EventHandler } from '../service-module.js';
import { joinRoom } from '../join-room.js';
import { parseInput } from '../validate.js';
import type { CrawlProgressDomain } from './domain.js';
import { crawlRoom, waitingState } from './events.js';

const progressIdSchema = z.strictObject({ progress_id: z.string().min(1).max(200), since: z.number().int().nonnegative().optional() });

/** Socket.IO handlers of `/crawl` (also serve legacy clients through the adapter). */
export function crawlHandlers(domain: CrawlProgressDomain, head: (room: string) => number): Record<string, EventHandler> {
  return {
    join_crawl(client, payload) {
      const { progress_id } = parseInput(progressIdSchema, payload, 'join_crawl');
      const room = crawlRoom(progress_id);
      return joinRoom(client, room, head(room), [['progress_update', { ...(domain.get(progress_id) ?? waitingState(progress_id)) }]]);
    },
    leave_crawl(client, payload) {
      const { progress_id } = parseInput(progressIdSchema, payload, 'leave_crawl');
      client.leave(crawlRoom(progress_id));
      return { ok: true };
    },
  };
}
