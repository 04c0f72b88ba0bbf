import type { Redis } from 'ioredis';
import type { Clock } from '../domain/clock.js';
import { systemClock } from '../domain/clock.js';
import { DEFAULT_RETENTION, payloadBytes, type EventLog, type ReplayResult, type RetentionOptions, type RoomEvent } from '../domain/event-log.js';
import { SwitchyardError } from '../errors/catalogue.js';
import { dataKeys, type DataKeys } from './keys.js';
import { APPEND_SCRIPT, DROP_SCRIPT } from './lua.js';

/**
 * The event log in Redis: one stream per room whose entry ids are the
 * sequence numbers (`<seq>-0`), so a resume or a gap repair is one XRANGE.
 * Retention as the memory log's, per room: count, age and bytes, applied in
 * the appending script; the bound across rooms (`maxTotalBytes`) is Redis's
 * own memory policy, not enforced here. In cluster mode the commit script
 * appends (see cluster-node.ts); `append` serves the contract and tools.
 */
export class RedisEventLog implements EventLog {
  readonly #redis: Redis;
  readonly #keys: DataKeys;
  readonly #retention: RetentionOptions;
  readonly #clock: Clock;

  constructor(redis: Redis, prefix: string, retention: Partial<RetentionOptions> = {}, clock: Clock = systemClock) {
    this.#redis = redis;
    this.#keys = dataKeys(prefix);
    this.#retention = { ...DEFAULT_RETENTION, ...retention };
    this.#clock = clock;
  }

  async append(event: RoomEvent): Promise<void> {
    const { maxEvents, maxAgeMs, maxBytes } = this.#retention;
    const bytes = event.bytes ?? payloadBytes(event.payload);
    await this.#redis.eval(APPEND_SCRIPT, 0, this.#keys.roomLog(event.room), this.#keys.logBytes, event.room, event.seq,
      event.event, JSON.stringify(event.payload), event.at, bytes, maxEvents, maxAgeMs, maxBytes, this.#clock());
  }

  async since(room: string, afterSeq: number): Promise<ReplayResult> {
    const entries = await this.#redis.xrange(this.#keys.roomLog(room), `${afterSeq + 1}-0`, '+').catch((error: unknown) => {
      // A resume needs the shared history: refused with a retryable code while Redis is away.
      throw new SwitchyardError('STORE_UNAVAILABLE', `shared store unavailable: ${(error as Error).message}`);
    });
    const oldest = this.#clock() - this.#retention.maxAgeMs;
    // Aged out but not yet trimmed (trimming runs on append): treated as gone.
    const events = entries.map(([id, fields]) => decodeEntry(room, id, fields)).filter((event) => event.at >= oldest);
    const first = events[0];
    // Nothing after afterSeq is retained, or what is retained follows it directly.
    const complete = first === undefined ? entries.length === 0 : first.seq <= afterSeq + 1;
    return { events, complete };
  }

  async drop(room: string): Promise<void> {
    await this.#redis.eval(DROP_SCRIPT, 0, this.#keys.roomLog(room), this.#keys.logBytes, room);
  }

  /** The connection belongs to whoever made it. */
  async close(): Promise<void> {}
}

/** One stream entry back into a RoomEvent. */
export function decodeEntry(room: string, id: string, fields: readonly string[]): RoomEvent {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i]!, fields[i + 1]!);
  return {
    room,
    seq: Number(id.slice(0, id.indexOf('-'))),
    event: map.get('e') ?? '',
    payload: JSON.parse(map.get('p') ?? '{}') as Record<string, unknown>,
    at: Number(map.get('a')),
    bytes: Number(map.get('b')),
  };
}
