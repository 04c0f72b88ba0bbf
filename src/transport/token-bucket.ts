/**
 * A token bucket, refilled lazily from the clock on each take: no timers, so
 * an idle bucket costs nothing. `rate` tokens per second up to `burst`.
 */
export class TokenBucket {
  #tokens: number;
  #at: number;

  constructor(readonly rate: number, readonly burst: number, now: number) {
    this.#tokens = burst;
    this.#at = now;
  }

  /** Refill to `now`; true when the bucket is full again (the holder has been quiet long enough). */
  refill(now: number): boolean {
    const elapsed = Math.max(0, now - this.#at) / 1000;
    this.#at = now;
    this.#tokens = Math.min(this.burst, this.#tokens + elapsed * this.rate);
    return this.#tokens >= this.burst;
  }

  /** Take one token if there is one. */
  take(now: number): boolean {
    this.refill(now);
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** Milliseconds until one token is available (0 when one is). */
  waitMs(now: number): number {
    this.refill(now);
    return this.#tokens >= 1 ? 0 : Math.ceil(((1 - this.#tokens) / this.rate) * 1000);
  }
}
