import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/server/config.js';
import { DEFAULT_LIMITS } from '../../../src/transport/limits.js';

describe('flow limit configuration', () => {
  it('defaults to the documented limits and trusts no proxy', () => {
    const config = parseConfig([], {});
    expect(config).toMatchObject({
      connectionsPerAddress: DEFAULT_LIMITS.connectionsPerAddress,
      messagesPerSecond: DEFAULT_LIMITS.messagesPerSecond,
      producerRequestsPerSecond: DEFAULT_LIMITS.producerRequestsPerSecond,
      socketIoHardBuffer: DEFAULT_LIMITS.socketIoHardBuffer,
      trustedProxies: [],
    });
  });

  it('reads the environment, and flags win', () => {
    const env = { SWITCHYARD_CONNECTIONS_PER_ADDRESS: '0', SWITCHYARD_TRUSTED_PROXIES: '10.0.0.0/8, 192.168.1.5', SWITCHYARD_PRODUCER_RPS: '20' };
    expect(parseConfig(['--producer-rps', '30'], env)).toMatchObject({ connectionsPerAddress: 0, producerRequestsPerSecond: 30, trustedProxies: ['10.0.0.0/8', '192.168.1.5'] });
  });

  it('refuses a negative limit', () => {
    expect(() => parseConfig(['--messages-per-second', '-1'], {})).toThrow();
  });
});
