/** A participant in the sweep: called once per its interval. */
export interface Beating {
  beat(): void;
}

/**
 * Intervals of a second or more are swept in this many slices, one slice per
 * interval/SLICES: with 10,000 legacy sockets, beating a whole group in one
 * tick stalls the event loop (and every request behind it) for as long as
 * 10,000 sends take; a slice is a tenth of that.
 */
const SLICES = 10;

interface Group {
  /** Members by slice; a member stays in its slice, so it beats once per interval. */
  slices: Set<Beating>[];
  sliceOf: Map<Beating, number>;
  /** The slice the next tick beats. */
  tick: number;
  /** Round-robin placement of new members. */
  added: number;
  timer: NodeJS.Timeout;
}

/**
 * One timer per distinct interval for all connections, instead of a timer per
 * connection: with thousands of sockets, timers dominate memory and wake-ups.
 * Members join the interval group they ask for; each tick beats one slice of
 * the group (see SLICES), so every member still beats once per interval and
 * its first beat comes within one interval of joining.
 */
export class HeartbeatSweep {
  readonly #groups = new Map<number, Group>();
  readonly #onError: (error: unknown, member: Beating) => void;

  /** `onError` hears a member whose beat threw; the sweep goes on with the others (a throw in a timer would end the process). */
  constructor(onError: (error: unknown, member: Beating) => void = () => {}) {
    this.#onError = onError;
  }

  add(intervalMs: number, member: Beating): void {
    let group = this.#groups.get(intervalMs);
    if (!group) {
      // Short intervals (tests, tight liveness checks) are not sliced: their ticks would be sub-100 ms.
      const count = intervalMs >= 1000 ? SLICES : 1;
      const slices = Array.from({ length: count }, () => new Set<Beating>());
      const created: Group = { slices, sliceOf: new Map(), tick: 0, added: 0, timer: setInterval(() => this.#beat(created), intervalMs / count) };
      created.timer.unref();
      group = created;
      this.#groups.set(intervalMs, group);
    }
    if (group.sliceOf.has(member)) return;
    const slice = group.added++ % group.slices.length;
    group.slices[slice]!.add(member);
    group.sliceOf.set(member, slice);
  }

  remove(intervalMs: number, member: Beating): void {
    const group = this.#groups.get(intervalMs);
    if (!group) return;
    const slice = group.sliceOf.get(member);
    if (slice === undefined) return;
    group.sliceOf.delete(member);
    group.slices[slice]!.delete(member);
    if (group.sliceOf.size === 0) {
      clearInterval(group.timer);
      this.#groups.delete(intervalMs);
    }
  }

  close(): void {
    for (const group of this.#groups.values()) clearInterval(group.timer);
    this.#groups.clear();
  }

  #beat(group: Group): void {
    const slice = group.slices[group.tick]!;
    group.tick = (group.tick + 1) % group.slices.length;
    for (const m of [...slice]) {
      try {
        m.beat();
      } catch (error) {
        this.#onError(error, m);
      }
    }
  }
}
