import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

/** The Redis the tests use (CI starts Debian's redis-server there). */
export const REDIS_URL = process.env.SWITCHYARD_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** True when Redis answers PING within 1 s. */
export async function isRedisAvailable(url = REDIS_URL): Promise<boolean> {
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null, connectTimeout: 1000 });
  probe.on('error', () => {});
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

/**
 * Whether Redis-backed tests run. Missing Redis skips them with the reason
 * printed, unless SWITCHYARD_REQUIRE_SERVICES=1 (CI), where it is a failure.
 */
export async function redisForTests(): Promise<boolean> {
  if (await isRedisAvailable()) return true;
  if (process.env.SWITCHYARD_REQUIRE_SERVICES === '1') throw new Error(`Redis is required (SWITCHYARD_REQUIRE_SERVICES=1) but ${REDIS_URL} does not answer`);
  console.warn(`skipping Redis tests: no Redis at ${REDIS_URL}`);
  return false;
}

/** A key prefix no other test uses. */
export function randomPrefix(): string {
  return `sy-test-${randomBytes(6).toString('hex')}`;
}

/** Delete every key under `prefix:` (SCAN, never FLUSHALL: the Redis is shared). A Redis already gone has nothing left to clean. */
export async function deletePrefix(prefix: string, url = REDIS_URL): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } catch {
    // Redis gone (a private one already stopped): nothing left to clean.
  } finally {
    redis.disconnect();
  }
}
