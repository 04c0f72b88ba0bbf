/**
 * Shadow mode on the demo producers' traffic: the legacy handlers serve, the
 * Socket.IO handlers run beside them through the adapter, and every frame is
 * compared. The shipped plans must agree 100%; a deliberately broken mapping
 * must show up as mismatches with samples.
 */
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_PLAN_DIR } from '../../../src/adapter/plan-loader.js';
import type { HostedId } from '../../../src/registry/contracts.js';
import { ADMIN_TOKEN, adminHeaders, overridableFlags } from '../../support/flags.js';
import { EXTRA_SERVICES, HOSTED_IDS, TEST_SERVICES } from '../../support/hosted.js';
import { api, startServer, until, type TestServer } from '../../support/harness.js';

interface ShadowReport { service: HostedId; matches: number; mismatches: number; consistency: number | null; samples: Array<{ legacy: string[]; adapter: string[] }> }

/** Legacy path of an entity room the demo created, so a legacy client can follow it. */
const ROOM_PATHS: Array<[RegExp, (id: string) => string]> = [
  [/^crawl_(.+)$/, (id) => `/api/crawl-progress/${id}`],
  [/^execution_(.+)$/, (id) => `/api/tests/stream/${id}`],
  [/^project_creation_(.+)$/, (id) => `/api/project-creation-progress/${id}`],
  [/^session_(.+)$/, (id) => `/api/agent-chat/sessions/${id}/ws`],
  [/^tasks_(.+)$/, (id) => `/api/projects/${id}/tasks/ws`],
];

describe('shadow mode', () => {
  let server: TestServer;
  const stops: Array<() => void> = [];
  afterEach(async () => {
    for (const stop of stops.splice(0)) stop();
    await server.close();
  });

  it('reports 100% consistency for every service on the demo traffic (the test services on their drivers\')', { timeout: 40_000 }, async () => {
    server = await startServer({ flags: overridableFlags('shadow'), adminToken: ADMIN_TOKEN, extraServices: EXTRA_SERVICES });
    // Follow every entity the demos create with a legacy client (two per room, so chat replays history too).
    const followed = new Set<string>();
    server.sy.hub.onBroadcast((_service, event) => {
      if (followed.has(event.room)) return;
      for (const [pattern, path] of ROOM_PATHS) {
        const found = pattern.exec(event.room);
        if (!found) continue;
        followed.add(event.room);
        void server.legacy(path(found[1]!)).then(() => server.legacy(path(found[1]!))).catch(() => {});
      }
    });
    await server.legacy('/api/mcp/logs/stream');
    await server.legacy('/api/knowledge-items/stream');
    for (const module of server.sy.modules.values()) if (module.demo) stops.push(module.demo());
    // Traffic the slower demos produce on request: a test run, a project, a chat message.
    await api(server.url, 'POST', '/api/tests/mcp/run', {});
    await api(server.url, 'POST', '/api/projects', { title: 'Shadow drill' });
    await api(server.url, 'POST', '/api/producer/mcp-logs', { level: 'INFO', message: 'shadow drill' });
    await api(server.url, 'POST', '/api/producer/knowledge-items/upload-completed', { filename: 'a.pdf', progressId: 'p', sourceId: 's' });
    // The test services have no demo: two legacy clients on their driver's entity, and three events.
    for (const { driver } of TEST_SERVICES) {
      await driver.setup(server.url);
      await server.legacy(driver.legacyPath);
      await server.legacy(driver.legacyPath);
      for (const marker of ['m1', 'm2', 'm3']) await driver.produce(server.url, marker);
    }

    const report = async (): Promise<ShadowReport[]> => ((await api(server.url, 'GET', '/api/admin/shadow', undefined, adminHeaders)).body as { services: ShadowReport[] }).services;
    await until(async () => (await report()).every((r) => r.matches >= 2), 30_000, 'shadow traffic on every service');
    const reports = await report();
    expect(reports.map((r) => r.service)).toEqual([...HOSTED_IDS]);
    for (const r of reports) expect({ service: r.service, mismatches: r.mismatches, consistency: r.consistency, samples: r.samples }).toEqual({ service: r.service, mismatches: 0, consistency: 1, samples: [] });
  });

  it('shows a broken mapping as mismatches, with the frame pair as a sample', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'broken-plan-'));
    await cp(DEFAULT_PLAN_DIR, dir, { recursive: true });
    const file = join(dir, 'crawl-progress.json');
    await writeFile(file, (await readFile(file, 'utf8')).replace('"type": "crawl_completed"', '"type": "crawl_done"'));
    server = await startServer({ planDir: dir, services: ['crawl-progress'], flags: overridableFlags('shadow'), adminToken: ADMIN_TOKEN });
    const id = 'bad00000-0000-4000-8000-000000000009';
    await api(server.url, 'POST', '/api/producer/crawl-progress', { progressId: id });
    const client = await server.legacy(`/api/crawl-progress/${id}`);
    await client.nextEvent();
    await api(server.url, 'POST', `/api/producer/crawl-progress/${id}/complete`, {});
    // The legacy client still gets the legacy handlers' frame: nothing from the shadow reaches it.
    expect(JSON.parse(await client.nextEvent())).toMatchObject({ type: 'crawl_completed' });
    const { body } = await api(server.url, 'GET', '/api/admin/shadow/crawl-progress', undefined, adminHeaders);
    const shadow = body as ShadowReport;
    expect(shadow.mismatches).toBe(1);
    expect(shadow.samples[0]!.legacy[0]).toMatch(/^\{"type":"crawl_completed"/);
    expect(shadow.samples[0]!.adapter[0]).toMatch(/^\{"type":"crawl_done"/);
  });
});
