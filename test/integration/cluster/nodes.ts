import { startServer, type TestServer } from '../../support/harness.js';
import type { SwitchyardOptions } from '../../../src/server/app.js';
import { REDIS_URL } from '../../support/redis.js';

/** A node of an in-process cluster: a Switchyard on its own ephemeral port sharing `prefix` in Redis. */
export function startNode(prefix: string, nodeId: string, options: SwitchyardOptions = {}, redisUrl = REDIS_URL): Promise<TestServer> {
  return startServer({
    services: ['crawl-progress', 'knowledge-items', 'agent-chat'],
    heartbeatIntervals: { 'crawl-progress': 60_000 },
    cluster: { redisUrl, prefix, nodeId },
    ...options,
  });
}
