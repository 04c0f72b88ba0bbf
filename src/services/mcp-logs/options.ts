import { envPositiveInt } from '../env-int.js';

/** Tunables of mcp-logs, with their defaults and environment overrides. */
export interface McpLogsOptions {
  /**
   * Entries kept in the ring buffer behind `GET /api/mcp/logs` and the backlog.
   * Default 1000, the legacy `deque(maxlen=1000)`. Env `SWITCHYARD_MCP_LOGS_BUFFER`.
   */
  bufferSize: number;
  /** Entries sent as `logs_backlog` to a subscriber without `since`. Default 100 (what the UI fetched). Env `SWITCHYARD_MCP_LOGS_BACKLOG`. */
  backlogSize: number;
  /** Demo mode: one simulated MCP server line every this many ms. Default 1500. */
  demoIntervalMs: number;
}

export const DEFAULT_MCP_LOGS_OPTIONS: McpLogsOptions = { bufferSize: 1000, backlogSize: 100, demoIntervalMs: 1500 };

/** Options from the environment (unset variables keep the defaults); throws on a malformed value. */
export function mcpLogsOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): McpLogsOptions {
  const d = DEFAULT_MCP_LOGS_OPTIONS;
  return {
    bufferSize: envPositiveInt(env, 'SWITCHYARD_MCP_LOGS_BUFFER', d.bufferSize),
    backlogSize: envPositiveInt(env, 'SWITCHYARD_MCP_LOGS_BACKLOG', d.backlogSize),
    demoIntervalMs: envPositiveInt(env, 'SWITCHYARD_MCP_LOGS_DEMO_MS', d.demoIntervalMs),
  };
}
