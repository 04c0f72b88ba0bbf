import type { Clock } from './clock.js';
import { systemClock } from './clock.js';
import { DEFAULT_RETENTION, payloadBytes, type EventLog, type ReplayResult, type RetentionOptions, type RoomEvent } from './event-log.js';

/** One room's retained events (seq order) and the bytes they account for. */
interface RoomHistory {
  events: Array<RoomEvent & { readonly bytes: number }>;
  bytes: number;
}

/**
 * Where a retained event is: its room's history and its seq. Not the event
 * itself, so an event trimmed by its room's own bounds is garbage at once.
 */
interface Entry {
  readonly room: string;
  readonly seq: number;
  readonly history: RoomHistory;
}

/**
 * The embedded event log: a bounded ring per room. Memory stays flat under any
 * traffic because each room keeps at most `maxEvents` and `maxBytes`, all rooms
 * together at most `maxTotalBytes` (the oldest events of any room go first),
 * and age-expired events are trimmed on every append and read. A room whose
 * history is empty is forgotten.
 */
export class MemoryEventLog implements EventLog {
  // Owned by this class only: room → events in seq order.
  readonly #rooms = new Map<string, RoomHistory>();
  // Every retained event in append order (oldest first), for the total bound.
  // Entries trimmed by a room's own bounds stay here until passed or compacted.
  #order: Entry[] = [];
  #orderHead = 0;
  #events = 0;
  #totalBytes = 0;
  readonly #retention: RetentionOptions;
  readonly #clock: Clock;

  constructor(retention: Partial<RetentionOptions> = {}, clock: Clock = systemClock) {
    this.#retention = { ...DEFAULT_RETENTION, ...retention };
    this.#clock = clock;
  }

  async append(event: RoomEvent): Promise<void> {
    let history = this.#rooms.get(event.room);
    if (!history) {
      history = { events: [], bytes: 0 };
      this.#rooms.set(event.room, history);
    }
    const sized = event.bytes === undefined ? { ...event, bytes: payloadBytes(event.payload) } : { ...event, bytes: event.bytes };
    history.events.push(sized);
    history.bytes += sized.bytes;
    this.#events++;
    this.#totalBytes += sized.bytes;
    this.#order.push({ room: event.room, seq: event.seq, history });
    this.#trim(event.room, history);
    this.#trimTotal();
  }

  async since(room: string, afterSeq: number): Promise<ReplayResult> {
    const history = this.#rooms.get(room);
    if (history) this.#trim(room, history);
    const list = this.#rooms.get(room)?.events ?? [];
    const events = list.filter((e) => e.seq > afterSeq);
    // Complete when the first retained event follows the asked one directly, or
    // nothing was missed at all.
    const first = list[0];
    const complete = first === undefined ? true : first.seq <= afterSeq + 1;
    return { events, complete };
  }

  async drop(room: string): Promise<void> {
    const history = this.#rooms.get(room);
    if (!history) return;
    this.#events -= history.events.length;
    this.#totalBytes -= history.bytes;
    this.#rooms.delete(room);
    this.#compact();
  }

  async close(): Promise<void> {
    this.#rooms.clear();
    this.#order = [];
    this.#orderHead = 0;
    this.#events = 0;
    this.#totalBytes = 0;
  }

  /** Rooms, events and payload bytes held, for /metrics and memory tests. */
  size(): { rooms: number; events: number; bytes: number } {
    return { rooms: this.#rooms.size, events: this.#events, bytes: this.#totalBytes };
  }

  /** The room's own bounds: count, age, bytes (oldest first). */
  #trim(room: string, history: RoomHistory): void {
    const { maxEvents, maxAgeMs, maxBytes } = this.#retention;
    const list = history.events;
    const oldest = this.#clock() - maxAgeMs;
    let cut = Math.max(0, list.length - maxEvents);
    let bytes = history.bytes;
    for (let i = 0; i < cut; i++) bytes -= list[i]!.bytes;
    while (cut < list.length && (list[cut]!.at < oldest || bytes > maxBytes)) bytes -= list[cut++]!.bytes;
    if (cut === 0) return;
    list.splice(0, cut);
    this.#events -= cut;
    this.#totalBytes -= history.bytes - bytes;
    history.bytes = bytes;
    if (list.length === 0) this.#rooms.delete(room);
    this.#compact();
  }

  /** The bound across rooms: evict the oldest retained events, whatever their room. */
  #trimTotal(): void {
    while (this.#totalBytes > this.#retention.maxTotalBytes && this.#orderHead < this.#order.length) {
      const { room, seq, history } = this.#order[this.#orderHead++]!;
      // Per-room trims remove from the front and rooms append in seq order, so a
      // still-retained entry is always the first event of its room.
      const event = history.events[0];
      if (this.#rooms.get(room) !== history || event?.seq !== seq) continue;
      history.events.shift();
      history.bytes -= event.bytes;
      this.#events--;
      this.#totalBytes -= event.bytes;
      if (history.events.length === 0) this.#rooms.delete(room);
    }
    this.#compact();
  }

  /** Keep the append-order index proportional to what is retained (trimmed entries are garbage). */
  #compact(): void {
    const pending = this.#order.length - this.#orderHead;
    if (pending <= 2 * this.#events + 1024) return;
    this.#order = this.#order.slice(this.#orderHead).filter(({ room, seq, history }) =>
      this.#rooms.get(room) === history && (history.events[0]?.seq ?? Infinity) <= seq);
    this.#orderHead = 0;
  }
}
