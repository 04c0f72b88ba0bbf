import { afterEach, describe, expect, it } from 'vitest';
import { MemoryEventLog } from '../../../src/domain/memory-event-log.js';
import { api, nextEvent, startServer, type TestServer } from '../../support/harness.js';
import { expectServerServes, flood, MiB, settledHeap, startCanary } from './memory-support.js';

/**
 * Every project change re-sends the whole list (the legacy protocol); the room
 * history keeps those copies within its byte bound, so creating projects
 * grows memory by the projects themselves, not by a copy of the list per change.
 */
describe('memory: project creations', () => {
  let server: TestServer;
  afterEach(async () => server?.close());

  it('1,500 projects: heap grows < 40 MB (unbounded history kept 745 MB), the list is whole, the server serves', async () => {
    const log = new MemoryEventLog();
    server = await startServer({ services: ['crawl-progress', 'knowledge-items', 'project-creation'], eventLog: log });
    const canary = await startCanary(server);
    const before = await settledHeap();
    const ran = await flood(1500, 45_000, async (i) => {
      const res = await api(server.url, 'POST', '/api/producer/projects', { id: `p${i}`, title: `Project ${i}`, description: 'd'.repeat(100) });
      expect(res.status).toBe(201);
    });
    expect(ran).toBe(1500);
    expect((await settledHeap()) - before).toBeLessThan(40 * MiB);
    // The project_list room keeps at most 1 MiB of list copies.
    expect(log.size().bytes).toBeLessThanOrEqual(2 * MiB);

    const watcher = await server.sio('/project');
    const snapshot = nextEvent<{ projects: unknown[] }>(watcher, 'projects_update', 5000);
    expect(await watcher.emitWithAck('subscribe_projects', {})).toMatchObject({ ok: true });
    expect((await snapshot).projects).toHaveLength(1500);
    await expectServerServes(server, canary, 'canary');
  }, 60_000);

  it('the project list is bounded in number: one more answers 429', async () => {
    server = await startServer({ services: ['project-creation'], storage: { maxEntities: 50 } });
    for (let i = 0; i < 50; i++) expect((await api(server.url, 'POST', '/api/producer/projects', { title: `P${i}` })).status).toBe(201);
    expect(await api(server.url, 'POST', '/api/producer/projects', { title: 'one more' })).toMatchObject({ status: 429, body: { error: { code: 'CAPACITY_EXCEEDED' } } });
    // Deleting one makes room again.
    const list = (await api(server.url, 'GET', '/api/producer/projects')).body as Array<{ id: string }>;
    expect((await api(server.url, 'DELETE', `/api/producer/projects/${list[0]!.id}`)).status).toBe(200);
    expect((await api(server.url, 'POST', '/api/producer/projects', { title: 'now it fits' })).status).toBe(201);
  });
});
