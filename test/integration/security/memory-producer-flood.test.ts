import { afterEach, describe, expect, it } from 'vitest';
import { MemoryEventLog } from '../../../src/domain/memory-event-log.js';
import { api, startServer, type TestServer } from '../../support/harness.js';
import { expectServerServes, flood, MiB, settledHeap, startCanary } from './memory-support.js';

/**
 * Producers cannot exhaust memory with large fields: a crawl's state is
 * bounded in bytes and in log lines, and the room history in bytes, so
 * hundreds of 100 KB updates leave the heap within a stated bound.
 */
describe('memory: producer floods with large fields', () => {
  let server: TestServer;
  afterEach(async () => server?.close());

  it('hundreds of 100 KB crawl updates: heap grows < 40 MB, the server still serves', async () => {
    const log = new MemoryEventLog();
    server = await startServer({ services: ['crawl-progress', 'knowledge-items'], eventLog: log });
    const canary = await startCanary(server);
    const crawls = ['f0', 'f1', 'f2', 'f3', 'f4'];
    for (const id of crawls) await api(server.url, 'POST', '/api/producer/crawl-progress', { progressId: id });
    const before = await settledHeap();

    // Each update carries 100 KB of extra fields and a 30 KB log line (the longest is 32 000 characters).
    // Unbounded, 400 of them kept ~50 MB of copies in history and ~12 MB of logs.
    const blob = 'x'.repeat(100_000);
    const line = 'l'.repeat(30_000);
    const statuses: number[] = [];
    const ran = await flood(400, 45_000, async (i) => {
      const res = await api(server.url, 'POST', `/api/producer/crawl-progress/${crawls[i % crawls.length]}/progress`, { status: 'crawling', percentage: i % 100, log: line, blob });
      statuses.push(res.status);
    });
    expect(ran).toBe(400);
    expect(statuses.every((s) => s === 200)).toBe(true);

    const after = await settledHeap();
    expect(after - before).toBeLessThan(40 * MiB);
    // The history holds at most 1 MiB per room.
    expect(log.size().bytes).toBeLessThanOrEqual((crawls.length + 1) * MiB);
    const state = (await api(server.url, 'GET', '/api/producer/crawl-progress/f0')).body as { logs: string[] };
    expect(state.logs.length).toBeLessThanOrEqual(200);
    await expectServerServes(server, canary, 'canary');
  }, 60_000);

  it('refuses what is over the limits and leaves the state as it was', async () => {
    server = await startServer({ services: ['crawl-progress', 'knowledge-items'] });
    await api(server.url, 'POST', '/api/producer/crawl-progress', { progressId: 'big' });
    const tooLongLog = await api(server.url, 'POST', '/api/producer/crawl-progress/big/progress', { status: 'crawling', percentage: 1, log: 'x'.repeat(100_000) });
    expect(tooLongLog.status).toBe(400);
    // 300 KB of extra fields: the state would pass its 256 KiB limit.
    const tooBig = await api(server.url, 'POST', '/api/producer/crawl-progress/big/progress', { status: 'crawling', percentage: 2, a: 'x'.repeat(150_000), b: 'y'.repeat(150_000) });
    expect(tooBig).toMatchObject({ status: 413, body: { error: { code: 'PAYLOAD_TOO_LARGE' } } });
    const state = (await api(server.url, 'GET', '/api/producer/crawl-progress/big')).body as Record<string, unknown>;
    expect(state).toMatchObject({ status: 'starting', percentage: 0 });
    expect(state).not.toHaveProperty('a');
    expect((await api(server.url, 'POST', '/api/producer/crawl-progress/big/progress', { status: 'crawling', percentage: 3 })).status).toBe(200);
  });

  it('many rooms: the history across rooms stays within its total', async () => {
    const log = new MemoryEventLog({ maxTotalBytes: 8 * MiB });
    server = await startServer({ services: ['crawl-progress', 'knowledge-items'], eventLog: log });
    const canary = await startCanary(server);
    const before = await settledHeap();
    const blob = 'x'.repeat(100_000);
    // 60 crawls × 5 updates of ~100 KB: 30 MB published, 8 MiB kept.
    const ran = await flood(300, 40_000, async (i) => {
      const id = `m${Math.floor(i / 5)}`;
      if (i % 5 === 0) await api(server.url, 'POST', '/api/producer/crawl-progress', { progressId: id });
      else await api(server.url, 'POST', `/api/producer/crawl-progress/${id}/progress`, { status: 'crawling', percentage: i % 100, blob });
    }, 1);
    expect(ran).toBe(300);
    expect(log.size().bytes).toBeLessThanOrEqual(8 * MiB);
    // Live states (60 × ~100 KB) plus the 8 MiB of history.
    expect((await settledHeap()) - before).toBeLessThan(40 * MiB);
    await expectServerServes(server, canary, 'canary');
  }, 60_000);
});
