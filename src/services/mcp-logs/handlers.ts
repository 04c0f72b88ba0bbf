import { z } from 'zod';
import type { EventHandler } from '../service-module.js';
import { joinRoom } from '../join-room.js';
import { parseInput } from '../validate.js';
import type { McpLogsDomain } from './domain.js';
import { LOGS_ROOM } from './events.js';

const subscribeSchema = z.strictObject({ since: z.number().int().nonnegative().optional() });
const unsubscribeSchema = z.strictObject({});

/**
 * Socket.IO handlers of `/logs` (also serve legacy clients through the adapter,
 * where the plan maps `logs_backlog` to no frame: the legacy wire had no history, and
 * the `$join_ack` row renders the `connection` frame).
 */
export function mcpLogsHandlers(domain: McpLogsDomain, head: (room: string) => number): Record<string, EventHandler> {
  return {
    subscribe_logs(client, payload) {
      // `since` (resume) is the bridge's business: it replays missed events instead of this backlog.
      parseInput(subscribeSchema, payload ?? {}, 'subscribe_logs');
      return joinRoom(client, LOGS_ROOM, head(LOGS_ROOM), [['logs_backlog', { entries: domain.backlog() }]]);
    },
    unsubscribe_logs(client, payload) {
      parseInput(unsubscribeSchema, payload ?? {}, 'unsubscribe_logs');
      client.leave(LOGS_ROOM);
      return { ok: true };
    },
  };
}
