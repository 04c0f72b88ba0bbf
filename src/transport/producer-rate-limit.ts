import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { LRUCache } from 'lru-cache';
import type { Limits } from './limits.js';
import { TokenBucket } from './token-bucket.js';
import type { AddressOf } from './connection-limiter.js';

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Requests the producer limit applies to: the producer API, and every write outside the admin API (the legacy REST routes). */
export function isProducerRequest(method: string, path: string): boolean {
  if (path.startsWith('/api/producer/')) return true;
  return WRITE_METHODS.has(method) && !path.startsWith('/api/admin');
}

/**
 * Producer requests per second, one token bucket per key: the SHA-256 of
 * the Authorization header when there is one (one bucket per credential, and
 * no secret kept in memory), else the remote address. At most `producerKeys`
 * buckets are kept, the least recently used dropped first; a dropped bucket
 * comes back full, which is what an idle one would have been.
 */
export class ProducerRateLimiter {
  readonly #buckets: LRUCache<string, TokenBucket> | undefined;
  readonly #limits: Pick<Limits, 'producerRequestsPerSecond' | 'producerBurst'>;
  readonly #addressOf: AddressOf;
  readonly #now: () => number;

  constructor(limits: Pick<Limits, 'producerRequestsPerSecond' | 'producerBurst' | 'producerKeys'>, addressOf: AddressOf, now: () => number = Date.now) {
    this.#limits = limits;
    this.#addressOf = addressOf;
    this.#now = now;
    this.#buckets = limits.producerRequestsPerSecond > 0 ? new LRUCache({ max: Math.max(1, limits.producerKeys) }) : undefined;
  }

  /** Take one request's token; the wait in ms when there is none (0 = go ahead). */
  take(req: IncomingMessage): number {
    if (!this.#buckets) return 0;
    const key = keyOf(req, this.#addressOf);
    const now = this.#now();
    let bucket = this.#buckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(this.#limits.producerRequestsPerSecond, Math.max(1, this.#limits.producerBurst), now);
      this.#buckets.set(key, bucket);
    }
    return bucket.take(now) ? 0 : Math.max(1, bucket.waitMs(now));
  }

  /** Buckets held (for tests: stays at most `producerKeys`). */
  get size(): number {
    return this.#buckets?.size ?? 0;
  }
}

function keyOf(req: IncomingMessage, addressOf: AddressOf): string {
  const authorization = req.headers.authorization;
  if (authorization) return `credential:${createHash('sha256').update(authorization).digest('base64url')}`;
  return `address:${addressOf(req)}`;
}
