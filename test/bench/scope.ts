import type { Child } from './ipc.js';

/** Thrown by `Deadline.left()` once a scenario's budget is spent. */
export class ScenarioTimeout extends Error {}

/** A scenario's time budget; every wait inside it is capped by what is left. */
export class Deadline {
  readonly #end: number;
  readonly #what: string;
  readonly #budgetMs: number;
  constructor(ms: number, what: string) {
    this.#end = Date.now() + ms;
    this.#what = what;
    this.#budgetMs = ms;
  }
  /** Time left (ms, may be negative); never throws. */
  remaining(): number {
    return this.#end - Date.now();
  }
  get expired(): boolean {
    return Date.now() >= this.#end;
  }
  /** Time left, at most `cap`; throws once the budget is spent. */
  left(cap = Number.POSITIVE_INFINITY): number {
    const left = this.#end - Date.now();
    if (left <= 0) throw new ScenarioTimeout(`${this.#what}: aborted, over its ${Math.round(this.#budgetMs / 1000)} s budget`);
    return Math.min(cap, left);
  }
}

export type Stoppable = Child<{ stop: { arg: undefined; result: undefined } }>;

/** The child processes a scenario started; all are stopped (or killed) when it ends. */
export class Scope {
  readonly #children = new Set<Stoppable>();
  track<T extends Stoppable>(child: T): T {
    this.#children.add(child);
    return child;
  }
  async stop(child: Stoppable, timeoutMs = 8000): Promise<void> {
    this.#children.delete(child);
    try {
      await child.call('stop', undefined, timeoutMs);
      await child.waitExit(3000);
    } catch {
      await child.kill();
    }
  }
  async closeAll(graceful: boolean): Promise<void> {
    for (const child of [...this.#children]) {
      if (graceful) await this.stop(child);
      else {
        this.#children.delete(child);
        await child.kill();
      }
    }
  }
}
