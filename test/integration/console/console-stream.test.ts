/**
 * The console's live feed (`GET /api/admin/console/stream`) as an operator's
 * page reads it: behind the admin token, bounded in viewers, and with a
 * shadow consistency that belongs to the current shadow run only.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import Koa from 'koa';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_PLAN_DIR } from '../../../src/adapter/plan-loader.js';
import { ConsoleFeed, type ConsoleSnapshot, type ServiceLive } from '../../../src/server/console-feed.js';
import { ConsoleMetrics } from '../../../src/server/console-metrics.js';
import { consoleStreamRoute } from '../../../src/server/console-stream.js';
import { ADMIN_TOKEN, adminHeaders, overridableFlags } from '../../support/flags.js';
import { api, startServer, until, type TestServer } from '../../support/harness.js';

/** An open console stream: the events read so far, and a way to wait for the next one that matches. */
class StreamReader {
  readonly events: Array<{ event: string; data: unknown }> = [];
  readonly #controller = new AbortController();
  #buffer = '';
  #reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  readonly #decoder = new TextDecoder();

  static async open(url: string, headers: Record<string, string> = adminHeaders): Promise<{ status: number; reader: StreamReader; body: unknown }> {
    const stream = new StreamReader();
    const res = await fetch(`${url}/api/admin/console/stream`, { headers, signal: stream.#controller.signal });
    if (!res.ok) return { status: res.status, reader: stream, body: await res.json() };
    stream.#reader = res.body!.getReader();
    return { status: res.status, reader: stream, body: undefined };
  }

  /** The next event (after those already returned) satisfying `match`, within `timeoutMs`. */
  async next<T>(event: string, match: (data: T) => boolean = () => true, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.findIndex((e) => e.event === event && match(e.data as T));
      if (found >= 0) return this.events.splice(0, found + 1).at(-1)!.data as T;
      this.events.length = 0;
      if (Date.now() > deadline) throw new Error(`no matching ${event} event within ${timeoutMs} ms`);
      const { value, done } = await this.#reader!.read();
      if (done) throw new Error('stream ended');
      this.#buffer += this.#decoder.decode(value, { stream: true });
      let end: number;
      while ((end = this.#buffer.indexOf('\n\n')) >= 0) {
        const block = this.#buffer.slice(0, end);
        this.#buffer = this.#buffer.slice(end + 2);
        const name = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (data !== undefined) this.events.push({ event: name, data: JSON.parse(data) });
      }
    }
  }

  close(): void {
    this.#controller.abort();
  }
}

const of = (service: string) => (snapshot: ConsoleSnapshot): ServiceLive => snapshot.services.find((s) => s.service === service)!;

describe('console stream', () => {
  let server: TestServer;
  const readers: StreamReader[] = [];
  let dir: string | undefined;
  afterEach(async () => {
    for (const reader of readers.splice(0)) reader.close();
    await server.close();
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('refuses a viewer without a valid token, and names the one with it', async () => {
    server = await startServer({ services: ['agent-chat'], flags: overridableFlags('legacy'), adminToken: ADMIN_TOKEN, adminTokens: { bob: 'bob-token' } });
    const refused = await StreamReader.open(server.url, { authorization: 'Bearer wrong' });
    expect(refused).toMatchObject({ status: 401, body: { error: { code: 'UNAUTHORIZED' } } });
    const { status, reader } = await StreamReader.open(server.url, { authorization: 'Bearer bob-token' });
    readers.push(reader);
    expect(status).toBe(200);
    expect(await reader.next('hello')).toMatchObject({ actor: 'bob', history: [], audit: [] });
    const snapshot = await reader.next<ConsoleSnapshot>('snapshot');
    expect(snapshot.services.map((s) => s.service)).toEqual(['agent-chat']);
  });

  it('refuses a seventeenth viewer with 429 TOO_MANY_CONNECTIONS, and admits one again when a viewer leaves', async () => {
    server = await startServer({ services: ['agent-chat'], flags: overridableFlags('legacy'), adminToken: ADMIN_TOKEN });
    for (let i = 0; i < 16; i++) {
      const { status, reader } = await StreamReader.open(server.url);
      readers.push(reader);
      expect(status).toBe(200);
      await reader.next('hello');
    }
    const refused = await StreamReader.open(server.url);
    expect(refused).toMatchObject({ status: 429, body: { error: { code: 'TOO_MANY_CONNECTIONS' } } });
    readers.shift()!.close();
    let admitted = 0;
    // The server sees the viewer leave when its socket closes: retry briefly (bounded).
    for (let attempt = 0; attempt < 50 && admitted !== 200; attempt++) {
      const again = await StreamReader.open(server.url);
      admitted = again.status;
      if (admitted === 200) readers.push(again.reader);
      else await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(admitted).toBe(200);
  });

  it('shows mismatches with their frame pair while in shadow, nothing after it leaves, and a fresh count when it returns', { timeout: 30_000 }, async () => {
    dir = await mkdtemp(join(tmpdir(), 'console-broken-plan-'));
    await cp(DEFAULT_PLAN_DIR, dir, { recursive: true });
    const file = join(dir, 'crawl-progress.json');
    await writeFile(file, (await readFile(file, 'utf8')).replace('"type": "crawl_completed"', '"type": "crawl_done"'));
    server = await startServer({ planDir: dir, services: ['crawl-progress'], flags: overridableFlags('shadow'), adminToken: ADMIN_TOKEN });
    const { reader } = await StreamReader.open(server.url);
    readers.push(reader);
    const crawl = of('crawl-progress');

    const id = 'c0ffee00-0000-4000-8000-000000000001';
    await api(server.url, 'POST', '/api/producer/crawl-progress', { progressId: id });
    const client = await server.legacy(`/api/crawl-progress/${id}`);
    await client.nextEvent();
    await api(server.url, 'POST', `/api/producer/crawl-progress/${id}/complete`, {});
    const inShadow = crawl(await reader.next<ConsoleSnapshot>('snapshot', (s) => (crawl(s).shadow?.mismatches ?? 0) >= 1));
    expect(inShadow.shadow!.samples[0]!.legacy[0]).toMatch(/^\{"type":"crawl_completed"/);
    expect(inShadow.shadow!.samples[0]!.adapter[0]).toMatch(/^\{"type":"crawl_done"/);
    expect(inShadow.connections).toEqual({ legacy: 1, socketio: 0 });
    // Moving the service to socketio would move its one legacy connection onto the adapter.
    expect(inShadow.moves).toMatchObject({ socketio: 1, legacy: 0, shadow: 0 });

    await api(server.url, 'PUT', '/api/admin/stages/crawl-progress', { stage: 'socketio' }, adminHeaders);
    const left = crawl(await reader.next<ConsoleSnapshot>('snapshot', (s) => crawl(s).stage === 'socketio'));
    expect(left.shadow).toBeNull();
    expect(left.lastSwitch).toMatchObject({ from: 'shadow', to: 'socketio', actor: 'admin', source: 'override' });

    await api(server.url, 'PUT', '/api/admin/stages/crawl-progress', { stage: 'shadow' }, adminHeaders);
    const back = crawl(await reader.next<ConsoleSnapshot>('snapshot', (s) => crawl(s).stage === 'shadow'));
    expect(back.shadow).toEqual({ matches: 0, mismatches: 0, consistency: null, samples: [] });
  });

  it('cuts a viewer that stops reading once its unread bytes pass the bound, instead of buffering for it', { timeout: 40_000 }, async () => {
    server = await startServer({ flags: overridableFlags('legacy'), adminToken: ADMIN_TOKEN });
    // The same route on its own app, with a fast sampler and a small bound, so the test need not wait minutes.
    const feed = new ConsoleFeed({
      stages: server.sy.stages!, plans: server.sy.plans, legacySessions: () => server.sy.legacySessions(),
      metrics: new ConsoleMetrics(server.sy.metrics.registry), tickMs: 2,
    });
    const router = new Router();
    consoleStreamRoute(router, { feed, maxBufferedBytes: 64 * 1024 });
    const app = new Koa().use(router.routes());
    const http = app.listen(0, '127.0.0.1');
    try {
      await new Promise((resolve) => http.once('listening', resolve));
      const socket = connect((http.address() as AddressInfo).port, '127.0.0.1');
      socket.pause();
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      socket.on('error', () => {});
      socket.write('GET /api/admin/console/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      await until(() => feed.subscribers === 1, 5000, 'the viewer subscribed');
      // It never reads: the kernel's buffers fill, then the stream's, then the viewer is cut.
      await until(() => feed.subscribers === 0, 30_000, 'the slow viewer dropped');
      socket.resume();
      await closed;
    } finally {
      feed.close();
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    }
  });
});
