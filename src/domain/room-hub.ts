import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { SharedFrame } from '../transport/shared-frame.js';
import type { HostedId } from '../registry/contracts.js';
import type { Clock } from './clock.js';
import { systemClock } from './clock.js';

/** Reads of the log while live events keep moving a room's head, before a resume gives up (the client gets a snapshot). */
const REPLAY_ATTEMPTS = 5;
import { DEFAULT_RETENTION, payloadBytes, type EventLog, type ReplayResult, type RoomEvent } from './event-log.js';

/**
 * Per-publish scratch space shared by all subscribers of one room event, so an
 * event is encoded once per transport and encoding variant, not once per
 * subscriber (see `LegacySession.deliver`).
 */
export type EncodeMemo = Map<string, readonly SharedFrame[]>;

/** Anything that receives a room's events directly (legacy sessions, shadows). */
export interface RoomSubscriber {
  deliver(event: RoomEvent, memo: EncodeMemo): void;
}

/** Receives every published event once (the Socket.IO side broadcasts it to the room). */
export type BroadcastListener = (service: HostedId, event: RoomEvent) => void;

/** Whether a room has subscribers the hub does not hold itself (Socket.IO room members). */
export type PresenceProbe = (room: string) => boolean;

/**
 * Cluster mode: publishes are sequenced elsewhere (in Redis) and come back
 * through `applySequenced`, in order, on every node, this one included.
 */
export interface Sequencer {
  /** Take an event to sequence. Returns it with the sequence number this node expects (a guess under concurrency). */
  stage(service: HostedId, room: string, event: string, payload: Record<string, unknown>): RoomEvent;
  /** The epoch of a room that has published nothing yet (shared by every node). */
  readonly generation: string;
  /** Resolves once this node has applied everything committed so far (a client may come from a node that is ahead). */
  catchUp(): Promise<void>;
}

export interface RoomHubOptions {
  clock?: Clock;
  logger?: Logger;
  /**
   * A room with no subscriber and no activity (publish, join, leave) for this
   * long is released: its head, epoch and history are forgotten. Use the
   * history's age bound, so only rooms whose history has expired anyway go.
   * Default: `DEFAULT_RETENTION.maxAgeMs`.
   */
  releaseAfterMs?: number;
  /** How often idle rooms are looked for. Default: a quarter of `releaseAfterMs`, at most a minute. */
  sweepIntervalMs?: number;
}

/**
 * The one place rooms, sequence numbers and history live. Domains publish here;
 * both front doors subscribe here. Transport-neutral: it never sees a socket.
 *
 * Invariant: `publish` assigns the sequence number and delivers synchronously,
 * so a snapshot taken together with `head(room)` in the same tick is exactly
 * consistent with the events that follow it.
 */
export class RoomHub {
  readonly #log: EventLog;
  readonly #clock: Clock;
  readonly #logger: Logger | undefined;
  // Owned here: room → last assigned seq.
  readonly #heads = new Map<string, number>();
  // Owned here: room → the incarnation its sequence numbers belong to.
  readonly #epochs = new Map<string, string>();
  // This process's history: numbers from another run (a restart) never match it.
  readonly #boot = randomUUID().slice(0, 8);
  #incarnations = 0;
  // Owned here: room → direct subscribers.
  readonly #members = new Map<string, Set<RoomSubscriber>>();
  readonly #broadcastListeners: BroadcastListener[] = [];
  // Appends still in flight; resume reads wait for them so they see every event.
  #pending: Promise<unknown> = Promise.resolve();
  #published = 0;
  #sequencer: Sequencer | undefined;

  // Set only inside atOneInstant: every read of `clock` returns it meanwhile.
  #frozenAt: number | undefined;

  // Owned here: room → last activity (ms), oldest first (touching moves a room to the end).
  readonly #touched = new Map<string, number>();
  readonly #presence: PresenceProbe[] = [];
  readonly #releaseAfterMs: number;
  readonly #sweepTimer: NodeJS.Timeout;

  constructor(log: EventLog, options: RoomHubOptions = {}) {
    this.#log = log;
    const base = options.clock ?? systemClock;
    this.#clock = () => this.#frozenAt ?? base();
    this.#logger = options.logger;
    this.#releaseAfterMs = options.releaseAfterMs ?? DEFAULT_RETENTION.maxAgeMs;
    const every = options.sweepIntervalMs ?? Math.min(60_000, Math.max(50, this.#releaseAfterMs / 4));
    this.#sweepTimer = setInterval(() => this.releaseIdleRooms(), every);
    // Housekeeping only: it must never keep a process (or a test worker) alive.
    this.#sweepTimer.unref();
  }

  /** The time source domains use; see `atOneInstant`. */
  get clock(): Clock {
    return this.#clock;
  }

  /**
   * Run `fn` with the clock held at one instant. Shadow mode runs the legacy
   * opening and the Socket.IO join side by side; both stamp "now" into their
   * frames (tasks' connection_established), and a millisecond tick between
   * them must not count as a mismatch.
   */
  atOneInstant<T>(fn: () => T): T {
    if (this.#frozenAt !== undefined) return fn();
    this.#frozenAt = this.#clock();
    try {
      return fn();
    } finally {
      this.#frozenAt = undefined;
    }
  }

  /** Total events published since start, for /metrics. */
  get publishedCount(): number {
    return this.#published;
  }

  /** The last sequence number of `room` (0 before its first event). */
  head(room: string): number {
    return this.#heads.get(room) ?? 0;
  }

  /**
   * Which run of `room`'s sequence numbers a client's `since` refers to. A
   * sequence restarts at 1 when the server restarts (the embedded history is
   * in memory) or when a dropped room is used again; a client resuming from
   * another epoch must get a snapshot, not "events after N" of another run.
   */
  epoch(room: string): string {
    if (this.#sequencer) return this.#epochs.get(room) ?? this.#sequencer.generation;
    let epoch = this.#epochs.get(room);
    if (epoch === undefined) {
      epoch = `${this.#boot}.${++this.#incarnations}`;
      this.#epochs.set(room, epoch);
      this.#touch(room);
    }
    return epoch;
  }

  /** Publish one event to a room: sequence it, log it, deliver it to both transports. */
  publish(service: HostedId, room: string, event: string, payload: Record<string, unknown>): RoomEvent {
    if (this.#sequencer) return this.#sequencer.stage(service, room, event, payload);
    const seq = this.head(room) + 1;
    this.#heads.set(room, seq);
    this.#touch(room);
    // Measured once here, for the log's byte bounds; never per subscriber.
    const roomEvent: RoomEvent = { room, seq, event, payload, at: this.#clock(), bytes: payloadBytes(payload) };
    this.#published++;
    const append = this.#log.append(roomEvent).catch((error: unknown) => {
      this.#logger?.error({ err: error, room, seq }, 'event log append failed; resume may fall back to a snapshot');
    });
    this.#pending = Promise.all([this.#pending, append]);
    this.#deliver(service, roomEvent);
    return roomEvent;
  }

  /**
   * Cluster mode: let `sequencer` number and store what domains publish; the
   * hub then advances and delivers only through `applySequenced`. Heads and
   * epochs are a replica of the shared ones: never forgotten locally.
   */
  useSequencer(sequencer: Sequencer, heads: ReadonlyMap<string, number>, epochs: ReadonlyMap<string, string>): void {
    this.#sequencer = sequencer;
    for (const [room, head] of heads) this.#heads.set(room, head);
    for (const [room, epoch] of epochs) this.#epochs.set(room, epoch);
  }

  /**
   * Cluster mode: one event, sequenced in the shared store, applied here in
   * order (the caller guarantees `event.seq === head(room) + 1`). Head and
   * delivery advance together, so snapshot + head stay consistent on this node.
   */
  applySequenced(service: HostedId, event: RoomEvent, epoch: string): void {
    this.#heads.set(event.room, event.seq);
    this.#epochs.set(event.room, epoch);
    this.#touch(event.room);
    this.#published++;
    this.#deliver(service, event);
  }

  #deliver(service: HostedId, roomEvent: RoomEvent): void {
    for (const listener of this.#broadcastListeners) listener(service, roomEvent);
    const members = this.#members.get(roomEvent.room);
    if (members && members.size > 0) {
      const memo: EncodeMemo = new Map();
      // Copy: a delivery may close a slow consumer, which unsubscribes it.
      for (const member of [...members]) member.deliver(roomEvent, memo);
    }
  }

  onBroadcast(listener: BroadcastListener): void {
    this.#broadcastListeners.push(listener);
  }

  subscribe(room: string, subscriber: RoomSubscriber): void {
    let set = this.#members.get(room);
    if (!set) {
      set = new Set();
      this.#members.set(room, set);
    }
    set.add(subscriber);
    this.#touch(room);
  }

  unsubscribe(room: string, subscriber: RoomSubscriber): void {
    const set = this.#members.get(room);
    if (!set) return;
    set.delete(subscriber);
    if (set.size === 0) this.#members.delete(room);
    this.#touch(room);
  }

  /** Count Socket.IO room members (or any other outside subscribers) as presence: such rooms are never released. */
  addPresenceProbe(probe: PresenceProbe): void {
    this.#presence.push(probe);
  }

  /** Rooms the hub holds state for (a head or an epoch), for /metrics and memory tests. */
  get roomCount(): number {
    return this.#touched.size;
  }

  /**
   * Release every room idle for `releaseAfterMs` that nobody is subscribed to:
   * forget its head, epoch and history. Its history had expired by age anyway,
   * so a resume would get a snapshot; the next use of the room starts a new
   * epoch, and a client resuming from the old one gets a snapshot, never
   * another run's events. Runs on a timer; callable directly (tests).
   */
  releaseIdleRooms(): number {
    const before = this.#clock() - this.#releaseAfterMs;
    const idle: string[] = [];
    for (const [room, at] of this.#touched) {
      // Oldest first: the rest were touched later.
      if (at > before) break;
      if (this.#present(room)) continue;
      idle.push(room);
    }
    for (const room of idle) {
      this.#touched.delete(room);
      // Cluster mode: the shared log trims itself by age, and heads and epochs are shared.
      if (this.#sequencer) continue;
      this.#heads.delete(room);
      this.#epochs.delete(room);
      void this.#log.drop(room);
    }
    return idle.length;
  }

  /** A subscriber outside the hub left `room` (a Socket.IO leave): its idle time starts now. Unknown rooms are ignored. */
  noteActivity(room: string): void {
    if (this.#touched.has(room)) this.#touch(room);
  }

  #present(room: string): boolean {
    return this.#members.has(room) || this.#presence.some((probe) => probe(room));
  }

  #touch(room: string): void {
    this.#touched.delete(room);
    this.#touched.set(room, this.#clock());
  }

  /** Direct subscribers of a room that satisfy `filter` (e.g. other legacy sockets of a chat session). */
  countMembers(room: string, filter: (subscriber: RoomSubscriber) => boolean = () => true): number {
    let count = 0;
    for (const member of this.#members.get(room) ?? []) if (filter(member)) count++;
    return count;
  }

  /**
   * The events a client missed after `afterSeq`. `complete: false` means the
   * client must be given a fresh snapshot: part of the range was trimmed, or
   * the client's sequence is ahead of this server or from another epoch
   * (the server restarted, the room was dropped and reused).
   */
  async replay(room: string, afterSeq: number, epoch?: string): Promise<ReplayResult> {
    await this.#pending;
    // Cluster mode: a client that saw a later event on another node waits for this node to apply it.
    if (this.#sequencer && afterSeq > this.head(room)) await this.#sequencer.catchUp();
    // Numbers of another run say nothing about this one (`since` 0 saw nothing, so any run will do).
    if (epoch !== undefined && afterSeq > 0 && epoch !== this.epoch(room)) return { events: [], complete: false };
    for (let attempt = 1; ; attempt++) {
      const head = this.head(room);
      if (afterSeq > head) return { events: [], complete: false };
      if (afterSeq === head) return { events: [], complete: true };
      const result = await this.#log.since(room, afterSeq);
      const first = result.events[0];
      const contiguous = first !== undefined && first.seq === afterSeq + 1;
      const replay = { events: result.events.filter((e) => e.seq <= head), complete: result.complete && contiguous };
      // A shared log (cluster mode) is read over the network: events applied
      // meanwhile move the head past what was read, and the caller would send
      // a snapshot. Read again (bounded) so a resume under traffic resumes.
      if (!replay.complete || this.head(room) === head || attempt >= REPLAY_ATTEMPTS) return replay;
    }
  }

  /**
   * Whether `replay` (asked after `afterSeq`) brings a client exactly to the
   * room's head now. Call it in the tick that subscribes the client: a publish
   * after the replay was read makes it stale, and the client gets a snapshot.
   */
  reachesHead(room: string, afterSeq: number, replay: ReplayResult): boolean {
    return replay.complete && (replay.events.at(-1)?.seq ?? afterSeq) === this.head(room);
  }

  /**
   * Forget a room whose entity was cleaned up; a later resume gets a snapshot.
   * The sequence restarts only when nobody is subscribed: a connection still
   * in the room (either transport) would otherwise filter a reused entity's
   * new events as old.
   */
  dropRoom(room: string): void {
    // Cluster mode: numbers keep counting up (a resume from the old life finds its range gone).
    if (!this.#sequencer && !this.#present(room)) {
      this.#heads.delete(room);
      this.#epochs.delete(room);
      this.#touched.delete(room);
    }
    this.#log.drop(room).catch((error: unknown) => this.#logger?.warn({ err: error, room }, 'event log drop failed'));
  }

  async close(): Promise<void> {
    clearInterval(this.#sweepTimer);
    await this.#pending;
    await this.#log.close();
    this.#members.clear();
  }
}
