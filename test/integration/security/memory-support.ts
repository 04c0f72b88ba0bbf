import v8 from 'node:v8';
import vm from 'node:vm';
import type { Socket } from 'socket.io-client';
import { expect } from 'vitest';
import { api, nextEvent, type TestServer } from '../../support/harness.js';

// A vitest fork has no --expose-gc; the flag can still be set at run time and
// `gc` picked up from a fresh context.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** Heap in use after full collections (bytes). */
export async function settledHeap(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    // Let sockets' and timers' callbacks release what they hold.
    await new Promise((resolve) => setImmediate(resolve));
  }
  gc();
  return process.memoryUsage().heapUsed;
}

export const MiB = 1024 * 1024;

/**
 * Run `step(i)` for i = 0…count-1, `parallel` at a time, and stop early at the
 * deadline: every load loop is bounded in count and in time. Returns how many ran.
 */
export async function flood(count: number, deadlineMs: number, step: (i: number) => Promise<unknown>, parallel = 8): Promise<number> {
  const stopAt = Date.now() + deadlineMs;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count && Date.now() < stopAt) await step(next++);
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return next;
}

/**
 * The server still works: /health answers, and a canary crawl watched over
 * Socket.IO delivers a fresh update to its subscriber.
 */
export async function expectServerServes(server: TestServer, canary: Socket, canaryId: string): Promise<void> {
  expect((await api(server.url, 'GET', '/health')).status).toBe(200);
  const update = nextEvent<{ percentage: number }>(canary, 'progress_update', 5000);
  const posted = await api(server.url, 'POST', `/api/producer/crawl-progress/${canaryId}/progress`, { status: 'crawling', percentage: 42 });
  expect(posted.status).toBe(200);
  expect((await update).percentage).toBe(42);
}

/** A crawl and a Socket.IO client watching it. */
export async function startCanary(server: TestServer, canaryId = 'canary'): Promise<Socket> {
  expect((await api(server.url, 'POST', '/api/producer/crawl-progress', { progressId: canaryId })).status).toBe(201);
  const socket = await server.sio('/crawl');
  expect(await socket.emitWithAck('join_crawl', { progress_id: canaryId })).toMatchObject({ ok: true });
  return socket;
}
