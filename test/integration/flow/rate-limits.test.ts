import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { api, startServer, type TestServer } from '../../support/harness.js';
import { MiB, retainedBytes } from '../../support/heap.js';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([promise, new Promise<T>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  })]).finally(() => clearTimeout(timer));
}

// Bounded floods: at most this many messages, for at most this long.
const FLOOD_MAX = 20_000;
const FLOOD_MS = 8000;
// The flood's own garbage is collected; what the server keeps per connection is a bucket.
const BOUND = 8 * MiB;

describe('messages per second per connection', () => {
  it('Socket.IO: over the rate an event is refused with RATE_LIMITED, a flooder is disconnected, others carry on', async () => {
    server = await startServer({ services: ['mcp-logs'], limits: { messagesPerSecond: 20, messageBurst: 10, floodCloseMs: 500 } });
    const calm = await server.sio('/logs');
    expect(await calm.emitWithAck('subscribe_logs')).toMatchObject({ ok: true });
    const flooder = await server.sio('/logs');
    const refused = new Promise<unknown>((resolve) => flooder.once('switchyard:refused', resolve));
    const gone = new Promise<string>((resolve) => flooder.once('disconnect', resolve));
    const before = retainedBytes();

    const acks: Array<Promise<unknown>> = [];
    const started = Date.now();
    let sent = 0;
    let done = false;
    void gone.then(() => {
      done = true;
    });
    while (!done && sent < FLOOD_MAX && Date.now() - started < FLOOD_MS) {
      for (let i = 0; i < 50; i++, sent++) acks.push(flooder.timeout(2000).emitWithAck('unsubscribe_logs').catch(() => 'no ack'));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(await withTimeout(refused, 2000, 'refusal notice')).toMatchObject({ code: 'RATE_LIMITED' });
    expect(await withTimeout(gone, 2000, 'flooder disconnected')).toBe('io server disconnect');
    const answers = await Promise.all(acks.slice(0, 20));
    // The burst is served, then the excess is refused without running the handler.
    expect(answers.slice(0, 10).every((a) => (a as { ok?: boolean }).ok === true)).toBe(true);
    expect(answers.slice(10)).toContainEqual({ ok: false, error: { code: 'RATE_LIMITED', message: expect.any(String) } });
    expect(retainedBytes() - before).toBeLessThan(BOUND);
    // The calm client was not touched.
    expect(await calm.emitWithAck('subscribe_logs')).toMatchObject({ ok: true });
  });

  it('legacy: frames over the rate are dropped, a flooder is closed with 4529, pings at their cadence never trip it', async () => {
    server = await startServer({ services: ['mcp-logs'], limits: { messagesPerSecond: 20, messageBurst: 10, floodCloseMs: 500 } });
    const calm = await server.legacy('/api/mcp/logs/stream');
    const flooder = new WebSocket(`${server.wsUrl}/api/mcp/logs/stream`);
    await withTimeout(new Promise((resolve) => flooder.once('open', resolve)), 5000, 'flooder open');
    const closed = new Promise<{ code: number; reason: string }>((resolve) => flooder.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    let done = false;
    void closed.then(() => {
      done = true;
    });
    const before = retainedBytes();
    const started = Date.now();
    for (let sent = 0; !done && sent < FLOOD_MAX && Date.now() - started < FLOOD_MS; sent += 50) {
      for (let i = 0; i < 50; i++) flooder.send('ping');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const close = await withTimeout(closed, 2000, 'flooder closed');
    expect(close.code).toBe(4529);
    expect(close.reason).toMatch(/^RATE_LIMITED/);
    expect(retainedBytes() - before).toBeLessThan(BOUND);
    // A client pinging far below the rate (legacy clients ping once per heartbeat) stays open.
    for (let i = 0; i < 5; i++) calm.send('ping');
    expect(calm.closed).toBeUndefined();
    const metric = await server.sy.metrics.flowRefusals.get();
    expect(metric.values.find((v) => v.labels.transport === 'legacy' && v.labels.code === 'RATE_LIMITED')?.value).toBeGreaterThan(0);
  });
});

describe('producer requests per second', () => {
  it('answers 429 RATE_LIMITED with Retry-After over the rate, per credential, and keeps its memory flat', async () => {
    server = await startServer({ services: ['mcp-logs'], limits: { producerRequestsPerSecond: 5, producerBurst: 20, producerKeys: 100 } });
    const url = server.url;
    const post = (headers: Record<string, string> = {}): Promise<Response> => fetch(`${url}/api/producer/mcp-logs`, {
      method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ level: 'INFO', message: 'hi' }),
    });
    const before = retainedBytes();
    const statuses: number[] = [];
    let limited: Response | undefined;
    for (let i = 0; i < 200; i++) {
      const res = await post();
      statuses.push(res.status);
      if (res.status === 429) limited ??= res;
      else await res.arrayBuffer();
    }
    expect(statuses.filter((s) => s === 201).length).toBeGreaterThanOrEqual(20);
    expect(statuses.filter((s) => s === 201).length).toBeLessThan(200);
    expect(limited?.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    expect(await limited?.json()).toMatchObject({ error: { code: 'RATE_LIMITED' } });
    const refusals = await server.sy.metrics.flowRefusals.get();
    expect(refusals.values.find((v) => v.labels.transport === 'rest')?.value).toBe(statuses.filter((s) => s === 429).length);
    // Another producer credential has its own bucket; reads are not limited.
    expect((await post({ authorization: 'Bearer other-producer' })).status).toBe(201);
    expect((await api(url, 'GET', '/health')).status).toBe(200);
    // Many keys: the bucket table stays at its bound.
    for (let i = 0; i < 300; i++) await (await post({ authorization: `Bearer p${i}` })).arrayBuffer();
    expect(retainedBytes() - before).toBeLessThan(BOUND);
  });
});
