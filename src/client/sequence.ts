/** What the tracker says about one sequenced event. */
export type SeqVerdict =
  /** Next in line: deliver. */
  | 'fresh'
  /** Already delivered (seq ≤ last): drop. This is what makes a transport switch duplicate-free. */
  | 'duplicate'
  /** Newer, but some numbers were skipped: deliver, and warn (the server promises contiguity). */
  | 'gap';

/**
 * Per-room "last delivered sequence number". Every room event carries a
 * per-room, consecutive `seq`; two transports open at once during a switch
 * (or a replay overlapping what was already seen) deliver some events twice,
 * and only the first copy passes.
 *
 * Only the client's delivery path mutates this (one tracker per client).
 */
export class SequenceTracker {
  readonly #last = new Map<string, number>();

  /** The last delivered seq of `room`, or undefined when nothing is known (never joined). */
  last(room: string): number | undefined {
    return this.#last.get(room);
  }

  /**
   * A snapshot consistent with `head` replaces the room's state: the events
   * that follow are those after `head`, whatever was delivered before.
   */
  reset(room: string, head: number): void {
    this.#last.set(room, head);
  }

  /** Judge one live or replayed event; records it unless it is a duplicate. */
  accept(room: string, seq: number): SeqVerdict {
    const last = this.#last.get(room);
    if (last !== undefined && seq <= last) return 'duplicate';
    this.#last.set(room, seq);
    return last === undefined || seq === last + 1 ? 'fresh' : 'gap';
  }

  /** Every room's last seq, for diagnostics and tests. */
  snapshot(): ReadonlyMap<string, number> {
    return new Map(this.#last);
  }
}
