import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/server/config.js';
import { storageLimitsFromEnv, DEFAULT_STORAGE_LIMITS } from '../../../src/services/storage-limits.js';

describe('memory bounds configuration', () => {
  it('history byte bounds default to 1 MiB per room and 64 MiB in all, from flags or the environment', () => {
    expect(parseConfig([], {})).toMatchObject({ historyBytes: 1024 * 1024, historyTotalBytes: 64 * 1024 * 1024 });
    expect(parseConfig(['--history-bytes', '2048'], { SWITCHYARD_HISTORY_TOTAL_BYTES: '4096' })).toMatchObject({ historyBytes: 2048, historyTotalBytes: 4096 });
  });

  it('storage limits come from the environment; a malformed value names its variable', () => {
    expect(storageLimitsFromEnv({})).toEqual(DEFAULT_STORAGE_LIMITS);
    expect(storageLimitsFromEnv({ SWITCHYARD_MAX_ENTITIES: '5', SWITCHYARD_IDLE_TTL_MS: '60000' })).toMatchObject({ maxEntities: 5, idleTtlMs: 60_000 });
    expect(() => storageLimitsFromEnv({ SWITCHYARD_ENTITY_BYTES: 'lots' })).toThrow(/SWITCHYARD_ENTITY_BYTES/);
  });
});
