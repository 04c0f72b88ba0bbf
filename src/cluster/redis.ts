import { Redis } from 'ioredis';
import type { Logger } from 'pino';

/**
 * One ioredis connection with the settings cluster mode relies on: commands
 * fail fast while Redis is down (no offline queue holding producer calls
 * hostage), and the client reconnects by itself with capped backoff.
 * Subscriber connections need their own client (`duplicate()`).
 */
export function connectRedis(url: string, logger: Logger, name: string): Redis {
  const redis = new Redis(url, {
    connectionName: name,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt) => Math.min(100 * 2 ** attempt, 2000),
    lazyConnect: false,
  });
  let down = false;
  redis.on('error', (error: Error) => {
    if (!down) logger.warn({ err: error, connection: name }, 'redis connection error');
    down = true;
  });
  redis.on('ready', () => {
    if (down) logger.info({ connection: name }, 'redis connection restored');
    down = false;
  });
  return redis;
}
