import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/server/config.js';

describe('cluster and state options', () => {
  it('is embedded by default, with the state file under .switchyard/', () => {
    const config = parseConfig([], {});
    expect(config.redisUrl).toBeUndefined();
    expect(config.redisPrefix).toBe('switchyard');
    expect(config.stateFile).toBe('.switchyard/state.json');
  });

  it('takes the Redis URL, prefix, node id and state file from flags, over the environment', () => {
    const env = { REDIS_URL: 'redis://env:6379', SWITCHYARD_REDIS_PREFIX: 'envp', SWITCHYARD_NODE_ID: 'env-node', SWITCHYARD_STATE_FILE: '/env/state.json' };
    expect(parseConfig([], env)).toMatchObject({ redisUrl: 'redis://env:6379', redisPrefix: 'envp', nodeId: 'env-node', stateFile: '/env/state.json' });
    const flags = ['--redis-url', 'redis://flag:6379', '--redis-prefix', 'p2', '--node-id', 'node7', '--state-file', '/var/lib/switchyard/state.json'];
    expect(parseConfig(flags, env)).toMatchObject({ redisUrl: 'redis://flag:6379', redisPrefix: 'p2', nodeId: 'node7', stateFile: '/var/lib/switchyard/state.json' });
  });
});
