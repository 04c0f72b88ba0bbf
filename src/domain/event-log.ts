/** One event of a room, as stored and as delivered. */
export interface RoomEvent {
  /** Room name, `<kind>_<id>` (see socketio.md). */
  readonly room: string;
  /** Per-room sequence number: 1, 2, 3… without gaps. */
  readonly seq: number;
  /** Socket.IO event name: the canonical vocabulary; legacy frames are derived from it. */
  readonly event: string;
  /** The event's context object, without `seq`. */
  readonly payload: Readonly<Record<string, unknown>>;
  /** When it was published (ms since epoch), for age-based retention. */
  readonly at: number;
  /**
   * Size of the payload as JSON (UTF-8 bytes), measured once when published,
   * for byte-based retention. Absent: the log measures it at append.
   */
  readonly bytes?: number;
}

/** Result of a resume read. */
export interface ReplayResult {
  /** The events after the asked sequence, in order. */
  readonly events: readonly RoomEvent[];
  /**
   * False when part of the asked range is no longer retained (or the log was
   * restarted): the caller must send a fresh snapshot instead of a silent hole.
   */
  readonly complete: boolean;
}

/** Retention bounds per room. */
export interface RetentionOptions {
  /** Events kept per room. Default 1000. */
  maxEvents: number;
  /** Events older than this are dropped (ms). Default 10 minutes. */
  maxAgeMs: number;
  /** Bytes of payload JSON kept per room; the oldest events go first. Default 1 MiB. */
  maxBytes: number;
  /** Bytes of payload JSON kept across all rooms; the oldest events (of any room) go first. Default 64 MiB. */
  maxTotalBytes: number;
}

export const DEFAULT_RETENTION: RetentionOptions = { maxEvents: 1000, maxAgeMs: 10 * 60_000, maxBytes: 1024 * 1024, maxTotalBytes: 64 * 1024 * 1024 };

/** The size an event is accounted at: its payload's JSON in UTF-8 bytes. */
export function payloadBytes(payload: Readonly<Record<string, unknown>>): number {
  return Buffer.byteLength(JSON.stringify(payload));
}

/**
 * The bounded history behind resume. Async because a Redis-backed log serves
 * scale-out; the in-memory one resolves at once.
 */
export interface EventLog {
  append(event: RoomEvent): Promise<void>;
  /** Events of `room` with `seq > afterSeq`. */
  since(room: string, afterSeq: number): Promise<ReplayResult>;
  /** Forget a room (entity cleaned up). */
  drop(room: string): Promise<void>;
  close(): Promise<void>;
}
