/**
 * `switchyard drill --via unleash`: stages moved the way a release manager
 * moves them, by turning the service's release flag on and off in a real
 * Unleash (admin API), with the node refreshed at once; the flag is left as
 * it was. Without the Unleash settings the drill refuses, saying what is missing.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DrillResult } from '../../../src/drill/result.js';
import { createFlagSource } from '../../../src/flags/index.js';
import type { FlagSource } from '../../../src/flags/flag-source.js';
import { perService } from '../../../src/registry/contracts.js';
import { ADMIN_TOKEN, overridableFlags } from '../../support/flags.js';
import { startServer, type TestServer } from '../../support/harness.js';
import { runCli } from '../../support/cli-process.js';
import { isPostgresAvailable, requireServices, startUnleash, type UnleashHarness } from '../../support/unleash-server.js';

let server: TestServer | undefined;
let flags: FlagSource | undefined;
afterEach(async () => {
  await server?.close();
  await flags?.close();
  server = undefined;
  flags = undefined;
});

it('--via unleash without the Unleash admin settings cannot run (exit 3) and names the variables', { timeout: 60_000 }, async () => {
  server = await startServer({ services: ['mcp-logs'], flags: overridableFlags('legacy'), adminToken: ADMIN_TOKEN });
  const run = runCli(['drill', '--url', server.url, '--service', 'mcp-logs', '--clients', '2', '--rounds', '1', '--via', 'unleash'], { SWITCHYARD_ADMIN_TOKEN: ADMIN_TOKEN });
  expect(await run.exited).toBe(3);
  expect(run.stderr()).toContain('--via unleash needs SWITCHYARD_DRILL_UNLEASH_URL');
  expect(run.stderr()).toContain('SWITCHYARD_DRILL_UNLEASH_TOKEN');
});

const postgres = await isPostgresAvailable();
if (!postgres) console.warn(`PostgreSQL is not reachable at 127.0.0.1:5432: ${requireServices() ? 'failing (SWITCHYARD_REQUIRE_SERVICES=1)' : 'skipping the drill through a real Unleash'}`);

describe.skipIf(!postgres && !requireServices())('drill through a real Unleash 6 (needs PostgreSQL at 127.0.0.1:5432)', () => {
  let unleash: UnleashHarness;
  beforeAll(async () => {
    unleash = await startUnleash();
    await unleash.createFlag('switchyard.mcp-logs');
  }, 120_000);
  afterAll(async () => {
    await unleash?.stop();
  });

  it('cuts over and rolls back by toggling the flag, passes, and leaves the flag off', { timeout: 120_000 }, async () => {
    flags = createFlagSource({
      defaults: perService(() => 'legacy' as const), flagNames: { 'mcp-logs': 'switchyard.mcp-logs' },
      unleashUrl: unleash.url, unleashApiToken: unleash.clientToken, unleashEnvironment: 'development',
      // Long poll: the drill's refreshes, not the poll, must carry the changes.
      unleashRefreshMs: 60_000, unleashDisableMetrics: true, logger: pino({ level: 'silent' }),
    });
    await flags.start();
    server = await startServer({ services: ['mcp-logs'], flags, adminToken: ADMIN_TOKEN });
    const out = await mkdtemp(join(tmpdir(), 'sy-drill-'));
    const run = runCli(['drill', '--url', server.url, '--service', 'mcp-logs', '--clients', '4', '--rounds', '1', '--via', 'unleash', '--out', out], {
      SWITCHYARD_ADMIN_TOKEN: ADMIN_TOKEN,
      SWITCHYARD_DRILL_UNLEASH_URL: unleash.url, SWITCHYARD_DRILL_UNLEASH_TOKEN: unleash.adminToken,
    }, 100_000);
    expect(await run.exited, run.stderr()).toBe(0);
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8')) as DrillResult;
    expect(report).toMatchObject({ via: 'unleash', verdict: 'pass' });
    expect(report.steps.map((s) => [s.to, s.sdkSwitch.switched])).toEqual([['socketio', 2], ['legacy', 2]]);
    expect(report.totals).toMatchObject({ lost: 0, duplicated: 0, reordered: 0 });
    const audit = server.sy.stages!.recent.list('mcp-logs');
    expect(audit.map((e) => [e.to, e.source])).toEqual([['socketio', 'unleash'], ['legacy', 'unleash']]);
    expect(server.sy.stages!.baseStage('mcp-logs')).toBe('legacy');
  });
});
