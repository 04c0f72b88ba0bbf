/**
 * An unexpected exception anywhere behind a surface is logged with its stack,
 * answered INTERNAL on that surface, and takes down neither the process nor
 * any other client. The failures are injected through public objects (a
 * service's handlers and legacy endpoint, the hub, a live session), never by
 * mocking a transport.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventHandler } from '../../../src/services/service-module.js';
import { api, nextEvent, startServer, until, type TestServer } from '../../support/harness.js';
import { handshake, rawRequest } from '../../support/raw-http.js';

const ID = 'a1b2c3d4-0000-4000-8000-0000000000e1';

interface LogLine { level: number; msg: string; err?: { message: string; stack?: string } }

/** A pino logger whose lines the test reads. */
function capturingLogger(): { logger: pino.Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

const boom = (where: string) => new Error(`injected failure in ${where}`);

describe('unexpected exceptions', () => {
  let server: TestServer;
  let lines: LogLine[];
  const logged = (where: string) => lines.find((l) => l.level >= 50 && l.err?.message === boom(where).message);

  beforeEach(async () => {
    const capture = capturingLogger();
    lines = capture.lines;
    server = await startServer({ services: ['crawl-progress'], logger: capture.logger, heartbeatIntervals: { 'crawl-progress': 50 } });
  });
  afterEach(async () => {
    await server.close();
  });

  it('REST: a throwing domain answers 500 INTERNAL JSON without the detail, and the stack reaches the log', async () => {
    const publish = server.sy.hub.publish.bind(server.sy.hub);
    server.sy.hub.publish = () => {
      throw boom('publish');
    };
    const res = await api(server.url, 'POST', '/api/producer/crawl-progress', { progressId: ID });
    expect(res).toEqual({ status: 500, body: { error: { code: 'INTERNAL', message: 'internal' } } });
    await until(() => logged('publish') !== undefined, 3000, 'error logged');
    expect(logged('publish')!.err!.stack).toContain('handler-failures.test.ts');
    server.sy.hub.publish = publish;
    expect((await api(server.url, 'GET', '/health')).status).toBe(200);
  });

  it('Socket.IO: a throwing handler acks INTERNAL, is logged, and the connection keeps working', async () => {
    const handlers = server.sy.modules.get('crawl-progress')!.handlers as Record<string, EventHandler>;
    const original = handlers.leave_crawl!;
    handlers.leave_crawl = () => {
      throw boom('leave_crawl');
    };
    try {
      const socket = await server.sio('/crawl');
      expect(await socket.emitWithAck('leave_crawl', { progress_id: ID })).toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
      expect(logged('leave_crawl')?.err?.stack).toBeDefined();
      expect(await socket.emitWithAck('join_crawl', { progress_id: ID })).toMatchObject({ ok: true });
      expect(socket.connected).toBe(true);
    } finally {
      handlers.leave_crawl = original;
    }
  });

  it('legacy: an encoder that throws for one client is logged; the producer, the room\'s other clients and that client carry on', async () => {
    const legacy = server.sy.modules.get('crawl-progress')!.legacy;
    const encode = legacy.encode.bind(legacy);
    const victim = await server.legacy(`/api/crawl-progress/${ID}`);
    await victim.nextEvent();
    const watcher = await server.sio('/crawl');
    expect(await watcher.emitWithAck('join_crawl', { progress_id: ID })).toMatchObject({ ok: true });
    legacy.encode = () => {
      throw boom('encode');
    };
    const seen = nextEvent(watcher, 'progress_update');
    expect((await api(server.url, 'POST', '/api/producer/crawl-progress', { progressId: ID })).status).toBe(201);
    expect(await seen).toMatchObject({ status: 'starting' });
    expect(logged('encode')?.err?.stack).toBeDefined();
    legacy.encode = encode;
    await api(server.url, 'POST', `/api/producer/crawl-progress/${ID}/progress`, { status: 'crawling', percentage: 5 });
    expect(JSON.parse(await victim.nextEvent())).toMatchObject({ data: { status: 'crawling' } });
    expect(victim.closed).toBeUndefined();
  });

  it('legacy: an opening that throws answers the handshake 500 INTERNAL and is logged', async () => {
    const legacy = server.sy.modules.get('crawl-progress')!.legacy;
    const open = legacy.open.bind(legacy);
    legacy.open = () => {
      throw boom('open');
    };
    try {
      const answer = await rawRequest(Number(new URL(server.url).port), handshake(`/api/crawl-progress/${ID}`));
      expect(answer.status).toBe(500);
      expect(JSON.parse(answer.body)).toEqual({ error: { code: 'INTERNAL', message: 'internal' } });
      expect(logged('open')?.err?.stack).toBeDefined();
    } finally {
      legacy.open = open;
    }
    const client = await server.legacy(`/api/crawl-progress/${ID}`);
    expect(await client.nextEvent()).toContain('crawl_progress');
  });

  it('timers: a heartbeat that throws for one session is logged; the others keep their heartbeats', async () => {
    const broken = await server.legacy(`/api/crawl-progress/${ID}`);
    const healthy = await server.legacy(`/api/crawl-progress/${ID}`);
    await until(() => [...server.sy.legacySessions()].length === 2, 3000, 'two sessions');
    const [first] = [...server.sy.legacySessions()];
    first!.beat = () => {
      throw boom('beat');
    };
    await until(() => logged('beat') !== undefined, 3000, 'heartbeat failure logged');
    const seen = healthy.frames.length;
    await until(() => healthy.frames.slice(seen).includes('{"type":"heartbeat"}'), 3000, 'a heartbeat after the failure');
    expect(broken.closed).toBeUndefined();
    expect(healthy.closed).toBeUndefined();
  });
});
