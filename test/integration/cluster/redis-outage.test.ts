import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Socket } from 'socket.io-client';
import { api, until, type TestServer } from '../../support/harness.js';
import { PrivateRedis } from '../../support/private-redis.js';
import { randomPrefix, redisForTests } from '../../support/redis.js';
import { startNode } from './nodes.js';

// The shared Redis answering says redis-server is installed; this test runs its own.
const withRedis = await redisForTests();
const ID = '0e6f0e7c-8a54-4d0b-a8f5-5d7f6c1b7a21';

describe.skipIf(!withRedis)('cluster mode while Redis is lost and comes back', () => {
  let redis: PrivateRedis;
  const nodes: TestServer[] = [];
  beforeAll(async () => {
    redis = await PrivateRedis.start();
  });
  afterAll(async () => {
    await Promise.all(nodes.map((node) => node.close()));
    await redis.stop();
  });

  it('refuses producer calls with 503 STORE_UNAVAILABLE, keeps open connections, and recovers with nothing acknowledged lost', async () => {
    const prefix = randomPrefix();
    const a = await startNode(prefix, 'node-a', {}, redis.url);
    const b = await startNode(prefix, 'node-b', {}, redis.url);
    nodes.push(a, b);
    const progress = (node: TestServer, n: number): Promise<{ status: number; body: unknown }> =>
      api(node.url, 'POST', `/api/producer/crawl-progress/${ID}/progress`, { status: 'crawling', percentage: n % 100, log: `line ${n}` });
    expect((await api(a.url, 'POST', '/api/producer/crawl-progress', { progressId: ID })).status).toBe(201);
    const socket: Socket = await b.sio('/crawl');
    const seen: number[] = [];
    socket.on('progress_update', (p: { seq: number }) => seen.push(p.seq));
    await socket.emitWithAck('join_crawl', { progress_id: ID });
    const legacy = await a.legacy(`/api/crawl-progress/${ID}`);
    await legacy.nextEvent();
    const SESSION = '4c2b1a0e-7d6f-4e5a-9b8c-1d2e3f4a5b6c';
    expect((await api(b.url, 'POST', '/api/producer/agent-chat/sessions', { session_id: SESSION })).status).toBe(201);
    const chat = await a.sio('/chat');
    await chat.emitWithAck('join_session', { session_id: SESSION });
    const acknowledged: number[] = [];
    for (let n = 1; n <= 3; n++) if ((await progress(n % 2 ? a : b, n)).status === 200) acknowledged.push(n);
    await until(() => seen.length === 4, 3000, 'updates before the outage');

    await redis.kill();
    // These nodes have no stage control (no flag source): /ready and the gauge come from the data plane's connections alone.
    for (const node of [a, b]) {
      await until(async () => (await api(node.url, 'GET', '/ready')).status === 503, 5000, 'the data plane reports Redis down');
      expect((await api(node.url, 'GET', '/ready')).body).toMatchObject({ ready: false, redis: { status: 'down' } });
      expect((await api(node.url, 'GET', '/metrics')).body as string).toMatch(/^switchyard_redis_up 0$/m);
    }
    const refused = await progress(a, 50);
    expect(refused).toMatchObject({ status: 503, body: { error: { code: 'STORE_UNAVAILABLE' } } });
    expect((await progress(b, 51)).status).toBe(503);
    // A chat send is refused the same way: its ack says so, and the client may retry it with the same id.
    expect(await chat.emitWithAck('send_message', { session_id: SESSION, message: 'lost?', id: 'm-outage' })).toMatchObject({ ok: false, error: { code: 'STORE_UNAVAILABLE' } });
    // A resume needs the shared history: refused with the same code, not a silent snapshot.
    const resumer = await b.sio('/crawl');
    expect(await resumer.emitWithAck('join_crawl', { progress_id: ID, since: 1 })).toMatchObject({ ok: false, error: { code: 'STORE_UNAVAILABLE' } });
    // Nothing half-done: the refused update is not in the node's state.
    const during = (await api(a.url, 'GET', `/api/producer/crawl-progress/${ID}`)).body as { logs: string[] };
    expect(during.logs).not.toContain('line 50');

    await redis.resume();
    // Recovery by itself: the nodes reconnect; producers get 200 again (bounded polling, no fixed sleep).
    let recovered = 0;
    await until(async () => (await progress(b, 100 + recovered++)).status === 200, 10_000, 'a producer call accepted after Redis returned');
    acknowledged.push(100 + recovered - 1);
    for (const node of [a, b]) {
      await until(async () => (await api(node.url, 'GET', '/ready')).status === 200, 5000, 'the data plane reports Redis up');
      expect((await api(node.url, 'GET', '/metrics')).body as string).toMatch(/^switchyard_redis_up 1$/m);
    }
    await until(() => seen.length === 5, 5000, 'the first update after the outage');
    // Open connections stayed open and saw a contiguous sequence.
    expect(socket.connected).toBe(true);
    expect(legacy.closed).toBeUndefined();
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    await until(() => legacy.frames.length === 5, 3000, 'the legacy client follows too');
    // The chat send retried after recovery is stored once.
    expect(await chat.emitWithAck('send_message', { session_id: SESSION, message: 'lost?', id: 'm-outage' })).toEqual({ ok: true, id: 'm-outage' });
    const after = (await api(a.url, 'GET', `/api/producer/crawl-progress/${ID}`)).body as { logs: string[] };
    for (const n of acknowledged) expect(after.logs).toContain(`line ${n}`);
    expect(after.logs).not.toContain('line 50');
    expect(after.logs).not.toContain('line 51');
  });
});
