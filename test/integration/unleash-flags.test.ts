import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FileFlagSource } from '../../src/flags/file-flag-source.js';
import type { FlagContext, FlagSourceStatus } from '../../src/flags/flag-source.js';
import type { Stage } from '../../src/flags/stage.js';
import { UnleashFlagSource, type UnleashFlagSourceOptions } from '../../src/flags/unleash-flag-source.js';
import { perService, type ServiceId } from '../../src/registry/contracts.js';
import { isPostgresAvailable, requireServices, startUnleash, type UnleashHarness } from '../support/unleash-server.js';

// Every service on legacy, from the registry; a few on other stages to tell them apart.
const DEFAULTS: Record<ServiceId, Stage> = { ...perService((): Stage => 'legacy'), 'crawl-progress': 'shadow', 'project-tasks': 'socketio', 'test-execution': 'socketio', 'knowledge-items': 'retired' };
const REFRESH_MS = 1000;
/** The brief's bound: one poll interval plus a second for the request and our handling. */
const FOLLOW_MS = REFRESH_MS + 1000;
const flag = (service: ServiceId): string => `switchyard.${service}`;

const sources: UnleashFlagSource[] = [];
function source(url: string, options: Partial<UnleashFlagSourceOptions> = {}): UnleashFlagSource {
  const created = new UnleashFlagSource({ url, defaults: DEFAULTS, refreshInterval: REFRESH_MS, ...options });
  sources.push(created);
  return created;
}
afterEach(async () => {
  await Promise.all(sources.splice(0).map((created) => created.close()));
});

/** Resolves once `check()` holds, re-checking on each 'changed'; fails after `withinMs`. */
function until(flags: UnleashFlagSource, check: () => boolean, withinMs: number, what: string): Promise<void> {
  if (check()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      flags.off('changed', onChanged);
      reject(new Error(`${what}: not seen within ${withinMs} ms (status ${JSON.stringify(flags.status())})`));
    }, withinMs);
    const onChanged = (): void => {
      if (!check()) return;
      clearTimeout(timer);
      flags.off('changed', onChanged);
      resolve();
    };
    flags.on('changed', onChanged);
  });
}

function nextStatus(flags: UnleashFlagSource, accept: (status: FlagSourceStatus) => boolean, withinMs: number): Promise<FlagSourceStatus> {
  if (accept(flags.status())) return Promise.resolve(flags.status());
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      flags.off('status', onStatus);
      reject(new Error(`status not reached within ${withinMs} ms; last ${JSON.stringify(flags.status())}`));
    }, withinMs);
    const onStatus = (status: FlagSourceStatus): void => {
      if (!accept(status)) return;
      clearTimeout(timer);
      flags.off('status', onStatus);
      resolve(status);
    };
    flags.on('status', onStatus);
  });
}

const postgres = await isPostgresAvailable();
if (!postgres) {
  const what = requireServices() ? 'failing (SWITCHYARD_REQUIRE_SERVICES=1)' : 'skipping the real-Unleash tests';
  console.warn(`PostgreSQL is not reachable at 127.0.0.1:5432: ${what}`);
}

describe.skipIf(!postgres && !requireServices())('UnleashFlagSource against a real Unleash 6 (needs PostgreSQL at 127.0.0.1:5432)', { timeout: 60_000 }, () => {
  let unleash: UnleashHarness;
  const client = (options: Partial<UnleashFlagSourceOptions> = {}): UnleashFlagSource =>
    source(unleash.url, { apiToken: unleash.clientToken, startTimeout: 10_000, ...options });

  beforeAll(async () => {
    unleash = await startUnleash();
    for (const service of ['crawl-progress', 'agent-chat', 'mcp-logs'] as const) await unleash.createFlag(flag(service));
  }, 120_000);

  afterAll(async () => {
    await unleash?.stop();
  });

  it('answers the plan before the first sync, then follows on/off within one poll', async () => {
    // Metrics left on (the default): registration must not disturb the flags.
    const flags = client();
    expect(flags.stageFor('crawl-progress', { clientId: 'c1' })).toBe('shadow');
    expect(flags.status().healthy).toBe(false);
    await flags.start();
    expect(flags.status()).toMatchObject({ kind: 'unleash', healthy: true });
    expect(flags.status().lastSyncAt).toBeTypeOf('number');
    // Flag off, and flag unknown to Unleash: both legacy.
    expect(flags.stageFor('crawl-progress', { clientId: 'c1' })).toBe('legacy');
    expect(flags.baseStage('crawl-progress')).toBe('legacy');
    expect(flags.stageFor('knowledge-items', { clientId: 'c1' })).toBe('legacy');

    await unleash.enable(flag('crawl-progress'));
    await until(flags, () => flags.stageFor('crawl-progress', { clientId: 'c1' }) === 'socketio', FOLLOW_MS, 'on');
    expect(flags.baseStage('crawl-progress')).toBe('socketio');

    await unleash.disable(flag('crawl-progress'));
    await until(flags, () => flags.stageFor('crawl-progress', { clientId: 'c1' }) === 'legacy', FOLLOW_MS, 'off');
    expect(flags.baseStage('crawl-progress')).toBe('legacy');
  });

  it('maps a variant named after a stage to that stage, and any other variant to socketio', async () => {
    const flags = client({ disableMetrics: true });
    await flags.start();
    await unleash.enable(flag('agent-chat'));
    await unleash.setVariant(flag('agent-chat'), 'shadow');
    const stage = (): Stage => flags.stageFor('agent-chat', { clientId: 'c1' });
    await until(flags, () => stage() === 'shadow', FOLLOW_MS, 'variant shadow');
    expect(flags.baseStage('agent-chat')).toBe('shadow');

    await unleash.setVariant(flag('agent-chat'), 'canary');
    await until(flags, () => stage() === 'socketio', FOLLOW_MS, 'variant canary');
    expect(flags.baseStage('agent-chat')).toBe('socketio');
  });

  it('puts a sticky half of the clients on socketio, the same half as the file source', async () => {
    const flags = client({ disableMetrics: true });
    await flags.start();
    await unleash.enable(flag('mcp-logs'));
    await unleash.setRollout(flag('mcp-logs'), 50);
    const contexts: FlagContext[] = Array.from({ length: 400 }, (_, index) => ({ clientId: `client-${index}` }));
    const stages = (): Stage[] => contexts.map((context) => flags.stageFor('mcp-logs', context));
    await until(flags, () => stages().includes('legacy') && stages().includes('socketio'), FOLLOW_MS, 'rollout 50%');

    const first = stages();
    expect(stages()).toEqual(first);
    const inRollout = first.filter((stage) => stage === 'socketio').length;
    expect(inRollout).toBeGreaterThan(160);
    expect(inRollout).toBeLessThan(240);
    // No stickiness key: not in the rollout (Unleash's flexibleRollout rule).
    expect(flags.stageFor('mcp-logs', {})).toBe('legacy');
    // The remote address stands in for a missing client id.
    expect(flags.stageFor('mcp-logs', { remoteAddress: 'client-7' })).toBe(first[7]);
    expect(flags.baseStage('mcp-logs')).toBe('socketio');

    const dir = await mkdtemp(join(tmpdir(), 'switchyard-flags-'));
    try {
      const path = join(dir, 'flags.json');
      await writeFile(path, JSON.stringify({ 'mcp-logs': { stage: 'legacy', rollout: { stage: 'socketio', percent: 50 } } }));
      const file = new FileFlagSource({ path, defaults: DEFAULTS });
      await file.start();
      expect(contexts.map((context) => file.stageFor('mcp-logs', context))).toEqual(first);
      await file.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refresh() pulls a change before the next poll, and an unchanged answer emits nothing', async () => {
    const flags = client({ disableMetrics: true, refreshInterval: 60_000 });
    await flags.start();
    await unleash.createFlag(flag('project-tasks'));
    await unleash.enable(flag('project-tasks'));
    expect(flags.stageFor('project-tasks', {})).toBe('legacy');
    await flags.refresh();
    expect(flags.stageFor('project-tasks', {})).toBe('socketio');

    let changes = 0;
    flags.on('changed', () => (changes += 1));
    await flags.refresh();
    expect(changes).toBe(0);
    expect(flags.status().healthy).toBe(true);
  });

  it('reports a refused token as unhealthy, within the start bound', async () => {
    const flags = source(unleash.url, { apiToken: 'default:development.not-a-token', startTimeout: 3000, disableMetrics: true });
    await flags.start();
    expect(flags.status().healthy).toBe(false);
    expect(flags.status().error).toContain('401');
    expect(flags.stageFor('crawl-progress', {})).toBe('shadow');
  });

  // Last: it stops the server.
  it('keeps the last stages and turns unhealthy when Unleash goes away', async () => {
    const flags = client({ disableMetrics: true });
    await flags.start();
    await unleash.enable(flag('crawl-progress'));
    await until(flags, () => flags.stageFor('crawl-progress', { clientId: 'c1' }) === 'socketio', FOLLOW_MS, 'on');
    const syncedAt = flags.status().lastSyncAt ?? Number.NaN;

    await unleash.stop();
    // The SDK retries a failed GET twice (1 s, then 2 s) before it reports an
    // error, so "down" shows about a poll + 3 s after the server went away.
    const down = await nextStatus(flags, (status) => !status.healthy, 10_000);
    expect(down.error).toMatch(/ECONNREFUSED|ECONNRESET/);
    // The last sync is remembered (a poll may have landed just before the stop).
    expect(down.lastSyncAt).toBeGreaterThanOrEqual(syncedAt);
    expect(flags.stageFor('crawl-progress', { clientId: 'c1' })).toBe('socketio');
    expect(flags.stageFor('agent-chat', { clientId: 'c1' })).toBe('socketio');
    expect(flags.baseStage('crawl-progress')).toBe('socketio');
  });
});

describe('UnleashFlagSource without a server', () => {
  it('resolves start() within its bound, unhealthy, answering the plan', async () => {
    const port = await closedPort();
    const flags = source(`http://127.0.0.1:${port}/api`, { startTimeout: 500, disableMetrics: true });
    const started = Date.now();
    await flags.start();
    expect(Date.now() - started).toBeLessThan(2000);
    expect(flags.status()).toMatchObject({ kind: 'unleash', healthy: false });
    expect(flags.status().error).toMatch(/no sync within 500 ms/);
    expect(flags.status().lastSyncAt).toBeUndefined();
    expect(flags.stageFor('knowledge-items', { clientId: 'c1' })).toBe('retired');
    expect(flags.baseStage('project-tasks')).toBe('socketio');
    // refresh() against nothing does not reject either.
    await flags.refresh();
    expect(flags.status().healthy).toBe(false);
  });
});

/** A loopback port with nothing listening on it (bound, then released). */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
