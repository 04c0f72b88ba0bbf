/**
 * mcp-logs: the event maps both the server and the SDK import.
 * Room: `logs` (one stream for everyone, as the legacy server broadcast every
 * entry to every socket); namespace `/logs`.
 */
import { mcpLogs } from './contract.js';

/** The levels the legacy `_parse_log_line` produced (legacy.md §5). */
export const MCP_LOG_LEVELS = ['INFO', 'DEBUG', 'WARNING', 'ERROR', 'CRITICAL'] as const;
export type McpLogLevel = (typeof MCP_LOG_LEVELS)[number];

/**
 * One log entry, in the legacy key order. `timestamp` is Python's
 * `utcnow().isoformat() + "Z"` — the only legacy timestamp with a zone.
 */
export interface McpLogEntry {
  timestamp: string;
  level: McpLogLevel;
  message: string;
}

/** A log entry with the room sequence number it was published with. */
export type SequencedLogEntry = McpLogEntry & { seq: number };

/** The recent history sent to a Socket.IO subscriber (never to legacy sockets: their wire had no history). */
export interface LogsBacklogPayload {
  /** Oldest first; each entry carries the `seq` of its live `log` event, so a client can drop duplicates. */
  entries: SequencedLogEntry[];
  /** The room head the backlog is consistent with: live `log` events follow with larger numbers. */
  seq: number;
}

export interface McpLogsClientToServerEvents {
  /**
   * Subscribe to the log stream: a `logs_backlog` follows at once, then live `log` events.
   * `since`: the last `seq` the client saw. The bridge resumes such a join: when the
   * retained history covers the gap the client gets the missed `log` events instead of
   * the backlog (ack `resumed: true`), otherwise the backlog (ack `resumed: false`).
   * Ack: `{ ok: true, room: "logs", seq }` or `{ ok: false, error: { code } }`.
   */
  subscribe_logs(payload: { since?: number } | undefined, ack: (result: unknown) => void): void;
  /** Stop receiving live entries. Ack `{ ok: true }`. */
  unsubscribe_logs(payload: Record<string, never> | undefined, ack: (result: unknown) => void): void;
}

export interface McpLogsServerToClientEvents {
  /** One live log entry. */
  log(payload: SequencedLogEntry): void;
  /** The recent entries, once per subscribe, before any live `log`. */
  logs_backlog(payload: LogsBacklogPayload): void;
}

/** Legacy frames of `/api/mcp/logs/stream`: note the entry is bare, with no `type` (legacy.md §5). */
export type McpLogsLegacyFrame =
  | { type: 'connection'; message: typeof CONNECTION_MESSAGE }
  | McpLogEntry
  | { type: 'ping' };

/** The single room every subscriber joins. */
/** The room function of the contract (`./contract.ts`), the one definition of the room name. */
export const LOGS_ROOM = mcpLogs.room({});

/** Text of the legacy on-connect frame. */
export const CONNECTION_MESSAGE = 'WebSocket connected for log streaming';
