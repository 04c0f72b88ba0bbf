import { afterEach, describe, expect, it } from 'vitest';
import { MemoryEventLog } from '../../../src/domain/memory-event-log.js';
import { api, startServer, until, type TestServer } from '../../support/harness.js';
import { expectServerServes, flood, MiB, settledHeap, startCanary } from './memory-support.js';

/**
 * Producers cannot exhaust memory by number: live entities per service are
 * capped, entities nobody updates expire, and rooms nobody is in are released.
 */
describe('memory: floods of entities and rooms', () => {
  let server: TestServer;
  afterEach(async () => server?.close());

  it('creations beyond the limit answer 429 CAPACITY_EXCEEDED, and the server still serves', async () => {
    server = await startServer({ services: ['crawl-progress', 'knowledge-items', 'test-execution', 'agent-chat'], storage: { maxEntities: 300 } });
    const canary = await startCanary(server); // the first of the 300 crawls
    const codes = new Map<number, number>();
    const ran = await flood(400, 30_000, async (i) => {
      const res = await api(server.url, 'POST', '/api/producer/crawl-progress', { progressId: `c${i}` });
      codes.set(res.status, (codes.get(res.status) ?? 0) + 1);
    });
    expect(ran).toBe(400);
    expect(Object.fromEntries(codes)).toEqual({ 201: 299, 429: 101 });
    const refused = await api(server.url, 'POST', '/api/producer/crawl-progress', { progressId: 'one-more' });
    expect(refused).toMatchObject({ status: 429, body: { error: { code: 'CAPACITY_EXCEEDED' } } });
    // Other services count their own entities.
    expect((await api(server.url, 'POST', '/api/producer/test-execution/start', { execution_id: 'e1' })).status).toBe(201);
    expect((await api(server.url, 'POST', '/api/producer/agent-chat/sessions', { session_id: 's1' })).status).toBe(201);
    await expectServerServes(server, canary, 'canary');
  });

  it('thousands of abandoned entities expire with their rooms: heap returns within 40 MB', async () => {
    const log = new MemoryEventLog({ maxAgeMs: 1000 });
    server = await startServer({
      services: ['crawl-progress', 'knowledge-items', 'test-execution', 'agent-chat', 'project-tasks', 'project-creation'],
      eventLog: log, retention: { maxAgeMs: 1000 }, storage: { idleTtlMs: 1500 },
      // A flood from one producer: this test is about storage, not request rates.
      limits: { producerRequestsPerSecond: 0 },
    });
    const before = await settledHeap();
    const line = 'o'.repeat(2000);
    // 5 services × 400 entities, each with a few KB of state, none ever finished.
    const ran = await flood(2000, 40_000, async (i) => {
      const n = Math.floor(i / 5);
      switch (i % 5) {
        case 0: return api(server.url, 'POST', '/api/producer/crawl-progress', { progressId: `a${n}`, currentUrl: `https://example.com/${n}` });
        case 1: {
          await api(server.url, 'POST', '/api/producer/test-execution/start', { execution_id: `e${n}` });
          return api(server.url, 'POST', `/api/producer/test-execution/e${n}/output`, { lines: [line, line] });
        }
        case 2: {
          await api(server.url, 'POST', '/api/producer/agent-chat/sessions', { session_id: `s${n}` });
          return api(server.url, 'POST', `/api/producer/agent-chat/sessions/s${n}/messages`, { content: line });
        }
        case 3: return api(server.url, 'POST', `/api/producer/project-tasks/P${n}/tasks`, { title: 'task', description: line });
        default: return api(server.url, 'POST', '/api/producer/project-creation', { progressId: `pc${n}`, title: 'Acme', description: line });
      }
    });
    expect(ran).toBe(2000);
    expect(await sampleStatus(server, '/api/producer/crawl-progress/a399')).toBe(200);
    expect(await sampleStatus(server, '/api/producer/test-execution/e399')).toBe(200);

    // Idle TTL 1.5 s, then rooms released once their 1 s history has expired.
    await until(async () => (await sampleStatus(server, '/api/producer/crawl-progress/a399')) === 404, 15_000, 'abandoned crawls expire');
    // Each store expires its own entities on its own idle timer: wait for each, as for the crawls.
    for (const path of ['/api/producer/test-execution/e399', '/api/producer/agent-chat/sessions/s399', '/api/producer/project-creation/pc399']) {
      await until(async () => (await sampleStatus(server, path)) === 404, 15_000, `${path} expires`);
    }
    await until(() => server.sy.hub.roomCount === 0, 15_000, 'rooms released');
    await until(async () => ((await api(server.url, 'GET', '/api/producer/project-tasks/P399/tasks')).body as unknown[]).length === 0, 15_000, 'abandoned tasks expire');
    expect(log.size()).toEqual({ rooms: 0, events: 0, bytes: 0 });
    expect((await settledHeap()) - before).toBeLessThan(40 * MiB);
    const canary = await startCanary(server);
    await expectServerServes(server, canary, 'canary');
  }, 90_000);

  it('joins of thousands of distinct rooms are released once nobody is in them: heap within 40 MB', async () => {
    // One client joins thousands of rooms as fast as it can: this test is about rooms, not message rates.
    server = await startServer({ services: ['crawl-progress', 'knowledge-items'], retention: { maxAgeMs: 1000 }, limits: { messagesPerSecond: 0 } });
    const canary = await startCanary(server);
    const before = await settledHeap();
    const roomsBefore = server.sy.hub.roomCount;
    const prober = await server.sio('/crawl');
    // Each join of an unknown crawl answers the "waiting" snapshot and opens an epoch for the room.
    const ran = await flood(5000, 40_000, async (i) => {
      const ack = await prober.emitWithAck('join_crawl', { progress_id: `ghost-${i}` }) as { ok: boolean };
      expect(ack.ok).toBe(true);
      await prober.emitWithAck('leave_crawl', { progress_id: `ghost-${i}` });
    }, 4);
    expect(ran).toBe(5000);
    expect(server.sy.hub.roomCount).toBeGreaterThan(roomsBefore);
    // The canary stays subscribed: its room is never released.
    await until(() => server.sy.hub.roomCount === roomsBefore, 15_000, 'joined rooms released');
    expect((await settledHeap()) - before).toBeLessThan(40 * MiB);
    await expectServerServes(server, canary, 'canary');
  }, 90_000);
});

async function sampleStatus(server: TestServer, path: string): Promise<number> {
  return (await api(server.url, 'GET', path)).status;
}
