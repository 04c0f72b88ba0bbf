import type { Clock } from './clock.js';
import { systemClock } from './clock.js';
import { DEFAULT_RETENTION, type EventLog, type ReplayResult, type RetentionOptions, type RoomEvent } from './event-log.js';

/**
 * The embedded event log: a bounded ring per room. Memory stays flat under
 * steady traffic because each room keeps at most `maxEvents`, and age-expired
 * events are trimmed on every append and read.
 */
export class MemoryEventLog implements EventLog {
  // Owned by this class only: room → events in seq order.
  readonly #rooms = new Map<string, RoomEvent[]>();
  readonly #retention: RetentionOptions;
  readonly #clock: Clock;

  constructor(retention: Partial<RetentionOptions> = {}, clock: Clock = systemClock) {
    this.#retention = { ...DEFAULT_RETENTION, ...retention };
    this.#clock = clock;
  }

  async append(event: RoomEvent): Promise<void> {
    let list = this.#rooms.get(event.room);
    if (!list) {
      list = [];
      this.#rooms.set(event.room, list);
    }
    list.push(event);
    this.#trim(list);
  }

  async since(room: string, afterSeq: number): Promise<ReplayResult> {
    const list = this.#rooms.get(room) ?? [];
    this.#trim(list);
    const events = list.filter((e) => e.seq > afterSeq);
    // Complete when the first retained event follows the asked one directly, or
    // nothing was missed at all.
    const first = list[0];
    const complete = first === undefined ? true : first.seq <= afterSeq + 1;
    return { events, complete };
  }

  async drop(room: string): Promise<void> {
    this.#rooms.delete(room);
  }

  async close(): Promise<void> {
    this.#rooms.clear();
  }

  /** Rooms and events held, for /metrics and memory tests. */
  size(): { rooms: number; events: number } {
    let events = 0;
    for (const list of this.#rooms.values()) events += list.length;
    return { rooms: this.#rooms.size, events };
  }

  #trim(list: RoomEvent[]): void {
    const overflow = list.length - this.#retention.maxEvents;
    if (overflow > 0) list.splice(0, overflow);
    const oldest = this.#clock() - this.#retention.maxAgeMs;
    let expired = 0;
    while (expired < list.length && list[expired]!.at < oldest) expired++;
    if (expired > 0) list.splice(0, expired);
  }
}
