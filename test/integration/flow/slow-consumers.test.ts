import { io as ioClient, type Socket as ClientSocket } from 'socket.io-client';
import type { Socket as ServerSocket } from 'socket.io';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../../support/harness.js';
import { MiB, retainedBytes } from '../../support/heap.js';
import { PausableProxy } from '../../support/pausable-proxy.js';

/**
 * A client that stops reading its TCP socket (a paused proxy in front of it)
 * while the server floods its room: the server cuts it at the byte limit,
 * a normal client in the same room receives every event, and memory stays
 * flat. Without the limit the stuck client would hold the whole flood
 * (EVENTS × PAYLOAD = 48 MiB) until its ping timeout.
 */
const PAYLOAD = 'x'.repeat(16 * 1024);
const EVENTS = 3000;
const BATCH = 50;
const HARD = 2 * MiB;
// Limit + socket buffers + a batch in flight + collector noise; far below the 48 MiB flood.
const BOUND = 16 * MiB;

let server: TestServer;
let proxy: PausableProxy;
const clients: Array<{ close(): void }> = [];

async function boot(): Promise<void> {
  server = await startServer({
    services: ['mcp-logs'],
    limits: { socketIoHardBuffer: HARD, legacySoftBuffer: HARD / 4, legacyHardBuffer: HARD },
    // Only the room's short history stays; the flood itself must not.
    retention: { maxEvents: 20 },
  });
  proxy = await PausableProxy.start(Number(new URL(server.url).port));
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await proxy.close();
  await server.close();
});

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([promise, new Promise<T>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  })]).finally(() => clearTimeout(timer));
}

/** A normal Socket.IO subscriber, counting `log` events. */
async function normalSubscriber(): Promise<{ received: () => number; reached: (n: number) => Promise<void> }> {
  const socket = await server.sio('/logs');
  await socket.emitWithAck('subscribe_logs');
  let count = 0;
  let waiter: { n: number; resolve: () => void } | undefined;
  socket.on('log', () => {
    count += 1;
    if (waiter && count >= waiter.n) waiter.resolve();
  });
  return {
    received: () => count,
    reached: (n) => (count >= n ? Promise.resolve() : withTimeout(new Promise<void>((resolve) => {
      waiter = { n, resolve };
    }), 10_000, `normal client to receive ${n} events`)),
  };
}

/** Publish the flood in batches, each one paced by the normal client having read it. */
async function flood(normal: { reached: (n: number) => Promise<void> }): Promise<void> {
  for (let i = 0; i < EVENTS; i += BATCH) {
    for (let j = i; j < i + BATCH; j++) server.sy.hub.publish('mcp-logs', 'logs', 'log', { timestamp: 'now', level: 'INFO', message: `${j} ${PAYLOAD}` });
    await normal.reached(i + BATCH);
  }
}

async function slowConsumerCount(transport: string): Promise<number> {
  const metric = await server.sy.metrics.slowConsumers.get();
  return metric.values.filter((v) => v.labels.transport === transport).reduce((sum, v) => sum + v.value, 0);
}

describe('a client that stops reading', () => {
  it('Socket.IO: is disconnected at the byte limit, the room carries on, memory stays flat', async () => {
    await boot();
    const normal = await normalSubscriber();
    const slow: ClientSocket = ioClient(`http://127.0.0.1:${proxy.port}/logs`, { transports: ['websocket'], reconnection: false, forceNew: true });
    clients.push({ close: () => slow.disconnect() });
    await withTimeout(new Promise<void>((resolve) => slow.once('connect', () => resolve())), 5000, 'slow client connect');
    await slow.emitWithAck('subscribe_logs');
    const serverSide = server.sy.io.of('/logs').sockets.get(slow.id!) as ServerSocket;
    const cut = new Promise<string>((resolve) => serverSide.once('disconnect', resolve));
    const before = retainedBytes();

    proxy.pause();
    await flood(normal);
    const reason = await withTimeout(cut, 5000, 'slow client disconnected');

    expect(reason).toMatch(/^transport (close|error)$|^forced close$/);
    expect(await slowConsumerCount('socketio')).toBe(1);
    expect(normal.received()).toBe(EVENTS);
    expect(server.sy.io.of('/logs').sockets.size).toBe(1);
    expect(retainedBytes() - before).toBeLessThan(BOUND);
  });

  it('legacy: is closed with 4508 at the byte limit, the room carries on, memory stays flat', async () => {
    await boot();
    const normal = await normalSubscriber();
    const slow = new WebSocket(`ws://127.0.0.1:${proxy.port}/api/mcp/logs/stream`);
    clients.push({ close: () => slow.terminate() });
    await withTimeout(new Promise<void>((resolve) => slow.once('message', () => resolve())), 5000, 'legacy connection frame');
    const before = retainedBytes();

    proxy.pause();
    await flood(normal);

    expect(await slowConsumerCount('legacy')).toBe(1);
    expect(normal.received()).toBe(EVENTS);
    expect(retainedBytes() - before).toBeLessThan(BOUND);
    // Once it reads again, the client learns why: the close frame follows what was queued.
    const closed = new Promise<number>((resolve) => slow.once('close', (code) => resolve(code)));
    proxy.resume();
    expect(await withTimeout(closed, 10_000, 'legacy close after resume')).toBe(4508);
  });
});
