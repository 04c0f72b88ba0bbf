import type { Limits } from './limits.js';
import { TokenBucket } from './token-bucket.js';

/** What to do with one incoming message. */
export type RateDecision = 'accept' | 'drop' | 'close';

/** A pause this long between refused messages ends a flood. */
const FLOOD_GAP_MS = 1000;

/**
 * Messages per second of one connection (either transport). Over the rate a
 * message is refused (`drop`); a client that keeps flooding — refused
 * messages with no pause of a second between them, for longer than
 * `floodCloseMs` — is to be closed (`close`). A client that bursts once and
 * slows down loses the excess and stays. Legacy pings (one per heartbeat,
 * seconds apart) are far below any sane rate.
 */
export class MessageRateLimiter {
  readonly #bucket: TokenBucket | undefined;
  readonly #floodCloseMs: number;
  readonly #now: () => number;
  /** When the current run of refusals began, and the last refusal. */
  #floodingSince = 0;
  #lastRefusal = Number.NEGATIVE_INFINITY;

  constructor(limits: Pick<Limits, 'messagesPerSecond' | 'messageBurst' | 'floodCloseMs'>, now: () => number = Date.now) {
    this.#now = now;
    this.#floodCloseMs = limits.floodCloseMs;
    this.#bucket = limits.messagesPerSecond > 0 ? new TokenBucket(limits.messagesPerSecond, Math.max(1, limits.messageBurst), now()) : undefined;
  }

  decide(): RateDecision {
    if (!this.#bucket) return 'accept';
    const now = this.#now();
    if (this.#bucket.take(now)) return 'accept';
    if (now - this.#lastRefusal > FLOOD_GAP_MS) this.#floodingSince = now;
    this.#lastRefusal = now;
    return now - this.#floodingSince > this.#floodCloseMs ? 'close' : 'drop';
  }
}
