import { z } from 'zod';
import type { EventHandler } from '../service-module.js';
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
      const seq = head(LOGS_ROOM);
      client.join(LOGS_ROOM);
      client.emit('logs_backlog', { entries: domain.backlog(), seq });
      return { ok: true, room: LOGS_ROOM, seq };
    },
    unsubscribe_logs(client, payload) {
      parseInput(unsubscribeSchema, payload ?? {}, 'unsubscribe_logs');
      client.leave(LOGS_ROOM);
      return { ok: true };
    },
  };
}
