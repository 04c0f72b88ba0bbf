import { pythonUtcIsoZ } from '../../domain/clock.js';
import type { ServiceContext } from '../service-module.js';
import { LOGS_ROOM, type McpLogEntry, type McpLogLevel, type SequencedLogEntry } from './events.js';
import { DEFAULT_MCP_LOGS_OPTIONS, type McpLogsOptions } from './options.js';
import { publisherFor } from '../../domain/publisher.js';
import { mcpLogs } from './contract.js';

/**
 * MCP server logs, as the legacy `MCPServerManager` kept them: a bounded ring
 * of entries (`deque(maxlen=1000)`), each one broadcast to every subscriber as
 * it is added (`_add_log`). Transport-neutral: it publishes to the hub.
 */
export class McpLogsDomain {
  readonly #ctx: ServiceContext;
  readonly #options: McpLogsOptions;
  // Owned here: oldest first, at most `bufferSize` entries, seq strictly increasing.
  readonly #entries: SequencedLogEntry[] = [];

  constructor(ctx: ServiceContext, options: Partial<McpLogsOptions> = {}) {
    this.#ctx = ctx;
    this.#options = { ...DEFAULT_MCP_LOGS_OPTIONS, ...options };
  }

  /** Add one entry (legacy `_add_log`): stamp it, keep it, publish it as `log`. */
  add(level: McpLogLevel, message: string): SequencedLogEntry {
    const entry: McpLogEntry = { timestamp: pythonUtcIsoZ(this.#ctx.clock()), level, message };
    const { seq } = publisherFor(this.#ctx.hub, mcpLogs).publish(LOGS_ROOM, 'log', { ...entry });
    const stored: SequencedLogEntry = { ...entry, seq };
    this.#entries.push(stored);
    if (this.#entries.length > this.#options.bufferSize) this.#entries.splice(0, this.#entries.length - this.#options.bufferSize);
    return stored;
  }

  /** Add several entries in order. */
  addMany(inputs: ReadonlyArray<{ level: McpLogLevel; message: string }>): SequencedLogEntry[] {
    return inputs.map((input) => this.add(input.level, input.message));
  }

  /** The last `limit` entries without `seq` (legacy `get_logs`: `limit <= 0` means all). */
  recent(limit: number): McpLogEntry[] {
    const slice = limit > 0 ? this.#entries.slice(-limit) : this.#entries;
    return slice.map(({ timestamp, level, message }) => ({ timestamp, level, message }));
  }

  /** What a subscriber gets before live entries: the last `backlogSize` entries, oldest first, with their `seq`. */
  backlog(): SequencedLogEntry[] {
    return this.#entries.slice(-this.#options.backlogSize).map((entry) => ({ ...entry }));
  }

  /** Legacy `clear_logs`: empty the buffer, then log that it was cleared. */
  clear(): SequencedLogEntry {
    this.#entries.length = 0;
    return this.add('INFO', 'Logs cleared');
  }

  get size(): number {
    return this.#entries.length;
  }
}
