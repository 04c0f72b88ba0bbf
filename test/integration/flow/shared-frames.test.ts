import { afterEach, describe, expect, it } from 'vitest';
import type { LegacyClient } from '../../support/legacy-client.js';
import { startServer, until, type TestServer } from '../../support/harness.js';

/**
 * Room events are encoded and framed once and the same bytes are written to
 * every legacy socket of the room, a burst published in one tick leaving in
 * one write per socket. What a client sees must not change: every frame
 * whole, in order, with its own variant (opted-in `seq`, project-tasks'
 * `session_id`), and protocol pongs and pings still answered in between.
 */
let server: TestServer;

afterEach(async () => {
  await server.close();
});

async function collect(client: LegacyClient, count: number): Promise<string[]> {
  const frames: string[] = [];
  for (let i = 0; i < count; i++) frames.push(await client.nextEvent());
  return frames;
}

describe('shared legacy frames', () => {
  it('a burst in one tick reaches every socket whole and in order, each in its variant', async () => {
    server = await startServer({ services: ['crawl-progress'] });
    const id = 'shared-burst';
    const plain = await Promise.all(Array.from({ length: 20 }, () => server.legacy(`/api/crawl-progress/${id}`)));
    const sequenced = await server.legacy(`/api/crawl-progress/${id}?switchyard_seq=1`);
    for (const client of plain) await client.nextEvent();
    await sequenced.next((f) => f.includes('"type":"switchyard_resume"'));

    const EVENTS = 200;
    // Large enough that a burst crosses the coalescer's early-release mark (64 KiB per socket).
    const filler = 'y'.repeat(1000);
    for (let i = 0; i < EVENTS; i++) server.sy.hub.publish('crawl-progress', `crawl_${id}`, 'progress_update', { progressId: id, status: 'crawling', percentage: i % 100, n: i, filler });
    const expected = Array.from({ length: EVENTS }, (_, i) =>
      `{"type":"crawl_progress","data":{"progressId":"${id}","status":"crawling","percentage":${i % 100},"n":${i},"filler":"${filler}"}}`);

    for (const client of plain) expect(await collect(client, EVENTS)).toEqual(expected);
    const withSeq = await collect(sequenced, EVENTS);
    expect(withSeq).toEqual(expected.map((frame, i) => `${frame.slice(0, -1)},"seq":${i + 1}}`));

    // The socket still talks protocol after the burst: a ping is answered.
    plain[0]!.send('ping');
    expect(await plain[0]!.next((f) => f === '{"type":"pong"}')).toBe('{"type":"pong"}');
  });

  it('project-tasks frames carry each receiving session its own session_id, whatever the id looks like', async () => {
    server = await startServer({ services: ['project-tasks'] });
    const project = 'p-shared';
    // Ids that would make two variants' keys equal if they were joined naively.
    const ids = ['a|seq', 'a', 'seq a', '["a"]'];
    const clients = await Promise.all(ids.map((sid) => server.legacy(`/api/projects/${project}/tasks/ws?session_id=${encodeURIComponent(sid)}`)));
    const sequenced = await server.legacy(`/api/projects/${project}/tasks/ws?session_id=a&switchyard_seq=1`);
    for (const client of clients) await client.next((f) => f.includes('connection_established'));
    await sequenced.next((f) => f.includes('"type":"switchyard_resume"'));

    const row = { id: 't1', project_id: project, title: 'Shared frames', status: 'todo' };
    server.sy.hub.publish('project-tasks', `tasks_${project}`, 'task_created', { project_id: project, task: row, timestamp: '2026-12-02T07:00:00.000000' });

    for (const [i, client] of clients.entries()) {
      const frame = JSON.parse(await client.nextEvent()) as Record<string, unknown>;
      expect(frame).toEqual({ type: 'task_created', data: row, timestamp: '2026-12-02T07:00:00.000000', project_id: project, session_id: ids[i] });
    }
    const seqFrame = JSON.parse(await sequenced.nextEvent()) as Record<string, unknown>;
    expect(seqFrame).toMatchObject({ type: 'task_created', session_id: 'a', seq: 1 });
  });

  it('Socket.IO: a burst in one tick reaches every client whole and in order', async () => {
    server = await startServer({ services: ['crawl-progress'] });
    const id = 'sio-burst';
    const sockets = await Promise.all(Array.from({ length: 10 }, () => server.sio('/crawl')));
    const received = sockets.map(() => [] as number[]);
    for (const [i, socket] of sockets.entries()) {
      await socket.emitWithAck('join_crawl', { progress_id: id });
      socket.on('progress_update', (p: { n?: number; seq: number }) => {
        if (p.n !== undefined) received[i]!.push(p.n);
      });
    }
    const EVENTS = 300;
    const filler = 'z'.repeat(500);
    // Three bursts, each in one tick: engine.io sends the first packet at once and flushes the rest together.
    for (let burst = 0; burst < 3; burst++) {
      for (let k = 0; k < EVENTS / 3; k++) {
        const n = burst * (EVENTS / 3) + k;
        server.sy.hub.publish('crawl-progress', `crawl_${id}`, 'progress_update', { progressId: id, status: 'crawling', percentage: n % 100, n, filler });
      }
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    await until(() => received.every((r) => r.length === EVENTS), 10_000, 'every client got every event');
    for (const r of received) expect(r).toEqual(Array.from({ length: EVENTS }, (_, n) => n));
  });
});
