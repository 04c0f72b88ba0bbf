import plan from '../../../migrations-plan/mcp-logs.json' with { type: 'json' };
import { defineService } from '../../contract/define.js';
import type { McpLogsClientToServerEvents, McpLogsServerToClientEvents } from './events.js';

/** mcp-logs's contract: browser-safe (types and the bundled plan only). */
export const mcpLogs = defineService<McpLogsServerToClientEvents, McpLogsClientToServerEvents>()({
  id: 'mcp-logs',
  plan,
  join: 'subscribe_logs',
  room: () => 'logs',
});
