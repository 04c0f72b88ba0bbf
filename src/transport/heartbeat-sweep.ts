/** A participant in the sweep: called once per its interval. */
export interface Beating {
  beat(): void;
}

/**
 * One timer per distinct interval for all connections, instead of a timer per
 * connection: with thousands of sockets, timers dominate memory and wake-ups.
 * Members join the interval group they ask for; a beat iterates the group.
 */
export class HeartbeatSweep {
  readonly #groups = new Map<number, { members: Set<Beating>; timer: NodeJS.Timeout }>();
  readonly #onError: (error: unknown, member: Beating) => void;

  /** `onError` hears a member whose beat threw; the sweep goes on with the others (a throw in a timer would end the process). */
  constructor(onError: (error: unknown, member: Beating) => void = () => {}) {
    this.#onError = onError;
  }

  add(intervalMs: number, member: Beating): void {
    let group = this.#groups.get(intervalMs);
    if (!group) {
      const members = new Set<Beating>();
      const timer = setInterval(() => {
        for (const m of [...members]) {
          try {
            m.beat();
          } catch (error) {
            this.#onError(error, m);
          }
        }
      }, intervalMs);
      timer.unref();
      group = { members, timer };
      this.#groups.set(intervalMs, group);
    }
    group.members.add(member);
  }

  remove(intervalMs: number, member: Beating): void {
    const group = this.#groups.get(intervalMs);
    if (!group) return;
    group.members.delete(member);
    if (group.members.size === 0) {
      clearInterval(group.timer);
      this.#groups.delete(intervalMs);
    }
  }

  close(): void {
    for (const group of this.#groups.values()) clearInterval(group.timer);
    this.#groups.clear();
  }
}
