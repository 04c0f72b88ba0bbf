import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { api, nextEvent, recordEvents, startServer, until, type TestServer } from '../../support/harness.js';

const ID = 'feed0000-0000-4000-8000-000000000002';

describe('resume by sequence', () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startServer({ services: ['crawl-progress'], retention: { maxEvents: 5 } });
    await api(server.url, 'POST', '/api/producer/crawl-progress', { progressId: ID }); // seq 1
  });
  afterEach(async () => {
    await server.close();
  });
  const produce = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) await api(server.url, 'POST', `/api/producer/crawl-progress/${ID}/progress`, { status: 'crawling', percentage: i });
  };

  it('Socket.IO: a join with `since` gets exactly the missed events, then live ones', async () => {
    await produce(2); // seq 2, 3
    const socket = await server.sio('/crawl');
    const log = recordEvents(socket, ['progress_update']);
    const ack = await socket.emitWithAck('join_crawl', { progress_id: ID, since: 1 });
    expect(ack).toMatchObject({ ok: true, resumed: true, replayed: 2 });
    await produce(1); // seq 4
    await until(() => log.length === 3);
    expect(log.map((e) => e.payload.seq)).toEqual([2, 3, 4]);
  });

  it('Socket.IO: a gap older than the retained history gets a fresh snapshot and resumed:false', async () => {
    await produce(8); // history keeps the last 5
    const socket = await server.sio('/crawl');
    const snapshot = nextEvent<{ seq: number }>(socket, 'progress_update');
    const ack = await socket.emitWithAck('join_crawl', { progress_id: ID, since: 1 });
    expect(ack).toMatchObject({ ok: true, resumed: false, seq: 9 });
    expect((await snapshot).seq).toBe(9);
  });

  it('Socket.IO: a sequence ahead of the server (it restarted) gets a snapshot', async () => {
    const socket = await server.sio('/crawl');
    expect(await socket.emitWithAck('join_crawl', { progress_id: ID, since: 500 })).toMatchObject({ ok: true, resumed: false });
  });

  it('legacy opt-in: switchyard_since replays the missed frames with seq, and says so', async () => {
    await produce(2);
    const client = await server.legacy(`/api/crawl-progress/${ID}?switchyard_seq=1&switchyard_since=1`);
    const frames = [await client.nextEvent(), await client.nextEvent(), await client.nextEvent()].map((f) => JSON.parse(f) as Record<string, unknown>);
    expect(frames.map((f) => f.type)).toEqual(['crawl_progress', 'crawl_progress', 'switchyard_resume']);
    expect(frames.map((f) => f.seq)).toEqual([2, 3, 3]);
    expect(frames[2]).toMatchObject({ resumed: true });
  });
});
