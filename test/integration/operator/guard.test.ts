import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPlans } from '../../../src/adapter/plan-loader.js';
import type { AuditEntry } from '../../../src/rollout/audit-trail.js';
import type { GuardStatus } from '../../../src/rollout/guard.js';
import type { EventHandler } from '../../../src/services/service-module.js';
import { LOGS_ROOM } from '../../../src/services/mcp-logs/events.js';
import { ADMIN_TOKEN, adminHeaders, overridableFlags } from '../../support/flags.js';
import { api, startServer, until, type TestServer } from '../../support/harness.js';
import { scrape } from '../../support/prometheus.js';
import { SdkClients, sequenceGaps, setStage, summarize } from '../sdk/sdk-support.js';

const WINDOW_MS = 200;
const WINDOWS = 2;

interface StagesBody { services: Array<{ service: string; stage: string; source: string; guard: GuardStatus }> }

async function mcpLogs(server: TestServer): Promise<StagesBody['services'][number]> {
  const res = await api(server.url, 'GET', '/api/admin/stages', undefined, adminHeaders);
  return (res.body as StagesBody).services.find((s) => s.service === 'mcp-logs')!;
}

describe('guard: automatic rollback on a breached objective', () => {
  let planDir: string;
  let server: TestServer;
  let clients: SdkClients;

  beforeAll(async () => {
    planDir = await mkdtemp(join(tmpdir(), 'switchyard-guard-'));
    await cp(new URL('../../../migrations-plan/', import.meta.url), planDir, { recursive: true });
    const file = join(planDir, 'mcp-logs.json');
    const plan = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    plan.guard = { windowMs: WINDOW_MS, consecutiveWindows: WINDOWS, objectives: { maxErrorsPerSecond: 1 } };
    await writeFile(file, JSON.stringify(plan));
    server = await startServer({ planDir, services: ['mcp-logs'], flags: overridableFlags('legacy'), adminToken: ADMIN_TOKEN }, {
      // The injected fault: one of the service's own Socket.IO handlers broken, as a bad deploy would break it.
      beforeListen: (sy) => {
        const handlers = sy.modules.get('mcp-logs')!.handlers as Record<string, EventHandler>;
        handlers.unsubscribe_logs = () => {
          throw new Error('injected fault');
        };
      },
    });
    clients = new SdkClients(server);
  });
  afterAll(async () => {
    clients.closeAll();
    await server.close();
    await rm(planDir, { recursive: true, force: true });
  });

  it('rejects a plan whose guard has no objective, at start-up', async () => {
    const file = join(planDir, 'mcp-logs.json');
    const plan = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    const badDir = await mkdtemp(join(tmpdir(), 'switchyard-guard-bad-'));
    try {
      await cp(planDir, badDir, { recursive: true });
      await writeFile(join(badDir, 'mcp-logs.json'), JSON.stringify({ ...plan, guard: { windowMs: 1000, objectives: {} } }));
      await expect(loadPlans(badDir, ['mcp-logs'])).rejects.toThrow(/objective/);
    } finally {
      await rm(badDir, { recursive: true, force: true });
    }
  });

  it('rolls a failing service back to its previous stage; clients on both transports follow with nothing lost; an operator clears it', async () => {
    await setStage(server, 'mcp-logs', 'socketio');
    const following = clients.connect({ service: 'mcp-logs', params: {} });
    const legacyOnly = clients.connect({ service: 'mcp-logs', params: {}, transports: ['legacy'] });
    await Promise.all([following.whenConnected(), legacyOnly.whenConnected()]);
    expect(following.transport).toBe('socketio');
    expect((await mcpLogs(server)).guard).toMatchObject({ enabled: true, watching: true, tripped: null });

    let published = 0;
    const publish = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++) await api(server.url, 'POST', '/api/producer/mcp-logs', { level: 'INFO', message: `guarded ${++published}` });
    };
    await publish(5);

    // The fault: every call of the broken event fails with INTERNAL, until the guard acts (bounded).
    const faulty = await server.sio('/logs');
    const started = Date.now();
    const answers: unknown[] = [];
    for (let i = 0; i < 400 && (await mcpLogs(server)).stage === 'socketio'; i++) {
      // The last call may be cut by the rollback itself (the namespace disconnects the caller): no answer then.
      if (faulty.connected) answers.push(await faulty.timeout(5000).emitWithAck('unsubscribe_logs', {}).catch(() => undefined));
      await publish(1);
    }
    expect(answers).toContainEqual({ ok: false, error: { code: 'INTERNAL', message: 'internal' } });
    const after = await mcpLogs(server);
    expect(after.stage).toBe('legacy');
    expect(after.source).toBe('override');
    expect(after.guard.tripped).toMatchObject({ from: 'socketio', to: 'legacy', breaches: ['maxErrorsPerSecond'] });
    expect(after.guard.tripped!.measurements.errorsPerSecond).toBeGreaterThan(1);
    // Not before the configured windows could have passed: one breached window alone does not roll back.
    expect(Date.now() - started).toBeGreaterThanOrEqual(WINDOW_MS * (WINDOWS - 1));

    const audit = (await api(server.url, 'GET', '/api/admin/audit?service=mcp-logs', undefined, adminHeaders)).body as { entries: AuditEntry[] };
    expect(audit.entries.at(-1)).toMatchObject({ from: 'socketio', to: 'legacy', source: 'guard', actor: 'guard', details: { breaches: ['maxErrorsPerSecond'] } });

    // Clients follow the rollback and miss nothing.
    await until(() => following.transport === 'legacy', 10_000, `following client on legacy: ${summarize(following)}`);
    await publish(5);
    const head = (): number => server.sy.hub.head(LOGS_ROOM);
    await until(() => following.lastSeq === head() && legacyOnly.lastSeq === head(), 10_000, 'both clients at the head');
    for (const client of [following, legacyOnly]) expect(sequenceGaps(client.journal.received), summarize(client)).toEqual([]);
    expect(head()).toBe(published);

    const metrics = await scrape(server.url);
    expect(metrics.value('switchyard_stage', { service: 'mcp-logs', stage: 'legacy' })).toBe(1);
    expect(metrics.value('switchyard_errors_total', { service: 'mcp-logs', surface: 'socketio', code: 'INTERNAL' })).toBeGreaterThan(0);
    expect(metrics.value('switchyard_switch_duration_seconds_count', { service: 'mcp-logs', direction: 'rollback' })).toBe(1);

    // The operator clears it like any override: the plan's stage again, and the guard watches anew.
    const cleared = await api(server.url, 'DELETE', '/api/admin/stages/mcp-logs', undefined, adminHeaders);
    expect(cleared.status).toBe(200);
    expect((await mcpLogs(server)).guard).toMatchObject({ tripped: null, watching: false, breachedWindows: 0 });
  });
});
