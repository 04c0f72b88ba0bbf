import { pythonUtcIsoZ } from '../../domain/clock.js';
import type { ServiceContext } from '../service-module.js';
import { embeddedStore, type EntityMap } from '../../domain/entity-store.js';
import { LOGS_ROOM, type McpLogEntry, type McpLogLevel, type SequencedLogEntry } from './events.js';
import { DEFAULT_MCP_LOGS_OPTIONS, type McpLogsOptions } from './options.js';
import { publisherFor } from '../../domain/publisher.js';
import { mcpLogs } from './contract.js';

/** The buffer's id in the entity map (the service has one buffer). */
const BUFFER = 'buffer';

/**
 * MCP server logs, as the legacy `MCPServerManager` kept them: a bounded ring
 * of entries (`deque(maxlen=1000)`), each one broadcast to every subscriber as
 * it is added (`_add_log`). Transport-neutral: it publishes to the hub.
 */
export class McpLogsDomain {
  readonly #ctx: ServiceContext;
  readonly #options: McpLogsOptions;
  // Owned here: one entity, the buffer, oldest first, at most `bufferSize` entries, seq strictly increasing.
  readonly #buffer: EntityMap<SequencedLogEntry[]>;

  constructor(ctx: ServiceContext, options: Partial<McpLogsOptions> = {}) {
    this.#ctx = ctx;
    this.#options = { ...DEFAULT_MCP_LOGS_OPTIONS, ...options };
    this.#buffer = (ctx.store ?? embeddedStore).map('mcp-logs');
  }

  get #entries(): SequencedLogEntry[] {
    return this.#buffer.get(BUFFER) ?? [];
  }

  /** Add one entry (legacy `_add_log`): stamp it, keep it, publish it as `log`. */
  add(level: McpLogLevel, message: string): SequencedLogEntry {
    const entry: McpLogEntry = { timestamp: pythonUtcIsoZ(this.#ctx.clock()), level, message };
    const { seq } = publisherFor(this.#ctx.hub, mcpLogs).publish(LOGS_ROOM, 'log', { ...entry });
    const stored: SequencedLogEntry = { ...entry, seq };
    const entries = this.#entries;
    entries.push(stored);
    if (entries.length > this.#options.bufferSize) entries.splice(0, entries.length - this.#options.bufferSize);
    this.#buffer.set(BUFFER, entries);
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
    this.#buffer.set(BUFFER, []);
    return this.add('INFO', 'Logs cleared');
  }

  get size(): number {
    return this.#entries.length;
  }
}
