import type { Socket } from 'socket.io-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LegacyMode } from '../../../src/bridge/legacy-session.js';
import { pythonUtcIsoZ } from '../../../src/domain/clock.js';
import { api, nextEvent, recordEvents, startServer, type TestServer } from '../../support/harness.js';
import type { LegacyClient } from '../../support/legacy-client.js';

const PATH = '/api/mcp/logs/stream';
const NOW = Date.UTC(2025, 5, 19, 18, 31, 7, 412);
const TS = pythonUtcIsoZ(NOW);
const CONNECTION = '{"type":"connection","message":"WebSocket connected for log streaming"}';
const entry = (level: string, message: string): string => `{"timestamp":"${TS}","level":"${level}","message":"${message}"}`;
const isPing = (frame: string): boolean => frame === '{"type":"ping"}';

async function produce(server: TestServer, level: string, message: string): Promise<void> {
  const { status } = await api(server.url, 'POST', '/api/producer/mcp-logs', { level, message });
  expect(status).toBe(201);
}

async function subscribe(server: TestServer, payload?: Record<string, unknown>): Promise<{ socket: Socket; backlog: Record<string, unknown>; ack: unknown }> {
  const socket = await server.sio('/logs');
  const backlog = nextEvent(socket, 'logs_backlog');
  const ack: unknown = await (payload === undefined ? socket.emitWithAck('subscribe_logs') : socket.emitWithAck('subscribe_logs', payload));
  return { socket, backlog: await backlog, ack };
}

describe.each<LegacyMode>(['legacy', 'adapter'])('mcp-logs, legacy socket served in %s mode', (mode) => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startServer({ services: ['mcp-logs'], heartbeatIntervals: { 'mcp-logs': 100 }, clock: () => NOW, legacyMode: () => mode });
  });
  afterEach(async () => {
    await server.close();
  });

  it('opens with the connection frame and no history, then streams bare entries', async () => {
    await produce(server, 'INFO', 'before connect');
    const legacy = await server.legacy(PATH);
    expect(await legacy.nextEvent()).toBe(CONNECTION);
    await produce(server, 'WARNING', 'after connect');
    expect(await legacy.nextEvent()).toBe(entry('WARNING', 'after connect'));
    // Only pings came between: no backlog reached the legacy wire.
    expect(legacy.frames.filter((f) => !isPing(f))).toEqual([CONNECTION, entry('WARNING', 'after connect')]);
  });

  it('sends {"type":"ping"} on its cadence and never answers the client', async () => {
    const legacy = await server.legacy(PATH);
    await legacy.nextEvent();
    legacy.send('ping');
    legacy.send('{"type":"ping"}');
    const first = await legacy.next(isPing, 1000);
    const startedAt = Date.now();
    await legacy.next(isPing, 1000);
    await legacy.next(isPing, 1000);
    expect(first).toBe('{"type":"ping"}');
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(100);
    expect(legacy.frames.filter((f) => f !== CONNECTION && !isPing(f))).toEqual([]);
  });

  it('delivers producer entries to legacy and Socket.IO subscribers in the same order', async () => {
    await produce(server, 'DEBUG', 'history');
    const legacy = await server.legacy(PATH);
    await legacy.nextEvent();
    const { socket, backlog, ack } = await subscribe(server);
    expect(ack).toEqual({ ok: true, room: 'logs', seq: 1, epoch: expect.any(String) });
    expect(backlog).toEqual({ entries: [{ timestamp: TS, level: 'DEBUG', message: 'history', seq: 1 }], seq: 1 });

    const seen = recordEvents(socket, ['log']);
    await produce(server, 'INFO', 'one');
    const batch = await api(server.url, 'POST', '/api/producer/mcp-logs/batch', {
      entries: [{ level: 'ERROR', message: 'two' }, { level: 'CRITICAL', message: 'three' }],
    });
    expect(batch).toMatchObject({ status: 201, body: { entries: [{ message: 'two', seq: 3 }, { message: 'three', seq: 4 }] } });

    const frames = [await legacy.nextEvent(), await legacy.nextEvent(), await legacy.nextEvent()];
    expect(frames).toEqual([entry('INFO', 'one'), entry('ERROR', 'two'), entry('CRITICAL', 'three')]);
    await expect.poll(() => seen.length).toBe(3);
    expect(seen.map((e) => [e.payload.message, e.payload.seq])).toEqual([['one', 2], ['two', 3], ['three', 4]]);
    expect(Object.keys(seen[0]!.payload)).toEqual(['timestamp', 'level', 'message', 'seq']);
  });

  it('resumes a Socket.IO subscriber from since (missed entries, no backlog), and unsubscribes', async () => {
    for (const message of ['a', 'b', 'c']) await produce(server, 'INFO', message);
    const socket = await server.sio('/logs');
    const seen = recordEvents(socket, ['log', 'logs_backlog']);
    expect(await socket.emitWithAck('subscribe_logs', { since: 2 })).toMatchObject({ ok: true, room: 'logs', seq: 3, resumed: true, replayed: 1 });
    await expect.poll(() => seen.length).toBe(1);
    expect(seen[0]).toEqual({ event: 'log', payload: { timestamp: TS, level: 'INFO', message: 'c', seq: 3 } });

    expect(await socket.emitWithAck('unsubscribe_logs')).toEqual({ ok: true });
    const legacy = await server.legacy(PATH);
    await legacy.nextEvent();
    await produce(server, 'INFO', 'd');
    await legacy.nextEvent();
    expect(seen).toHaveLength(1);
  });

  it('keeps the legacy REST history and clear routes', async () => {
    for (const message of ['a', 'b', 'c']) await produce(server, 'INFO', message);
    const recent = await api(server.url, 'GET', '/api/mcp/logs?limit=2');
    expect(recent).toEqual({ status: 200, body: { logs: [{ timestamp: TS, level: 'INFO', message: 'b' }, { timestamp: TS, level: 'INFO', message: 'c' }] } });
    expect((await api(server.url, 'GET', '/api/mcp/logs')).body).toMatchObject({ logs: { length: 3 } });
    expect(await api(server.url, 'DELETE', '/api/mcp/logs')).toEqual({ status: 200, body: { success: true, message: 'Logs cleared successfully' } });
    expect((await api(server.url, 'GET', '/api/mcp/logs?limit=0')).body).toEqual({ logs: [{ timestamp: TS, level: 'INFO', message: 'Logs cleared' }] });
  });

  it('rejects bad input: 400 JSON on REST, ack errors on Socket.IO', async () => {
    for (const body of [{ level: 'TRACE', message: 'x' }, { level: 'INFO', message: '' }, { level: 'INFO' }, { entries: [] }]) {
      expect(await api(server.url, 'POST', '/api/producer/mcp-logs', body)).toMatchObject({ status: 400, body: { error: { code: 'INVALID_PAYLOAD' } } });
    }
    expect(await api(server.url, 'POST', '/api/producer/mcp-logs/batch', { entries: [] })).toMatchObject({ status: 400, body: { error: { code: 'INVALID_PAYLOAD' } } });
    expect(await api(server.url, 'POST', '/api/producer/mcp-logs', '{nope')).toMatchObject({ status: 400, body: { error: { code: 'INVALID_PAYLOAD' } } });
    expect(await api(server.url, 'GET', '/api/mcp/logs?limit=lots')).toMatchObject({ status: 400, body: { error: { code: 'INVALID_PAYLOAD' } } });
    expect(await api(server.url, 'GET', '/api/producer/mcp-logs/nothing-here')).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    const socket = await server.sio('/logs');
    expect(await socket.emitWithAck('subscribe_logs', { since: -1 })).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
    expect(await socket.emitWithAck('subscribe_logs', { level: 'INFO' })).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
    expect(await socket.emitWithAck('subscribe_logs', {})).toMatchObject({ ok: true });
  });
});

/** Both modes side by side: the adapter's on-connect and live frames equal the legacy endpoint's, byte for byte. */
describe('mcp-logs legacy and adapter wires are identical', () => {
  it('produces the same frames for the same traffic', async () => {
    const wires: string[][] = [];
    for (const mode of ['legacy', 'adapter'] as const) {
      const server = await startServer({ services: ['mcp-logs'], heartbeatIntervals: { 'mcp-logs': 60_000 }, clock: () => NOW, legacyMode: () => mode });
      try {
        await produce(server, 'INFO', 'old');
        const legacy: LegacyClient = await server.legacy(PATH);
        await legacy.nextEvent();
        await produce(server, 'ERROR', 'Tool crawl_single_page failed: "quoted" ü');
        await legacy.nextEvent();
        wires.push(legacy.frames.filter((f) => !isPing(f)));
      } finally {
        await server.close();
      }
    }
    expect(wires[1]).toEqual(wires[0]);
    expect(wires[0]).toEqual([CONNECTION, `{"timestamp":"${TS}","level":"ERROR","message":"Tool crawl_single_page failed: \\"quoted\\" ü"}`]);
  });
});
