/**
 * Legacy endpoint `/api/mcp/logs/stream` (legacy.md §5), as the original
 * `websocket_log_stream` / `MCPServerManager.add_websocket` served it:
 * - on connect: `{"type":"connection",…}` and **no history** (the UI fetched
 *   `GET /api/mcp/logs?limit=100` first), then live entries only;
 * - live: every `_add_log` entry as a bare object with no `type`;
 * - `{"type":"ping"}` every second comes from the plan's heartbeat; the server
 *   never read the socket, so there is no pong.
 */
import { CONNECTION_MESSAGE, LOGS_ROOM } from '../src/services/mcp-logs/events.js';
import type { LegacyEndpoint } from '../src/services/service-module.js';
import { encodeFrame } from './wire.js';

/** The entry in the legacy key order (`seq` and anything else dropped). */
function entryFrame(payload: Readonly<Record<string, unknown>>): string {
  return encodeFrame({ timestamp: payload.timestamp, level: payload.level, message: payload.message });
}

export function mcpLogsLegacy(): LegacyEndpoint {
  return {
    open() {
      return { rooms: [LOGS_ROOM], frames: [encodeFrame({ type: 'connection', message: CONNECTION_MESSAGE })] };
    },
    encode(event) {
      return event.event === 'log' ? [entryFrame(event.payload)] : [];
    },
  };
}
