import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LegacyMode } from '../../../src/bridge/legacy-session.js';
import { pythonLocalIso } from '../../../src/domain/clock.js';
import { api, nextEvent, recordEvents, startServer, type TestServer } from '../../support/harness.js';

const ID = 'e1a2b3c4-d5e6-4f70-8192-a3b4c5d6e7f8';
const NOW = Date.UTC(2025, 5, 19, 12, 40, 2, 117);
const TS = pythonLocalIso(NOW);
const PATH = (id: string): string => `/api/tests/stream/${id}`;
const MODES: LegacyMode[] = ['legacy', 'adapter'];

/** The exact legacy frames (legacy-frames.json key order), stamped with the pinned clock. */
const wire = {
  state: (status: string) => `{"type":"status","status":"${status}","started_at":"${TS}","timestamp":"${TS}"}`,
  status: (message: string) => `{"type":"status","data":{"status":"running"},"message":"${message}","timestamp":"${TS}"}`,
  output: (line: string) => `{"type":"output","message":"${line}","timestamp":"${TS}"}`,
  error: (message: string) => `{"type":"error","message":"${message}","timestamp":"${TS}"}`,
  completed: (status: string, exitCode: number | null, summary: unknown) =>
    `{"type":"completed","status":"${status}","exit_code":${exitCode},"summary":${JSON.stringify(summary)},"timestamp":"${TS}"}`,
  cancelled: `{"type":"cancelled","message":"Test execution cancelled","timestamp":"${TS}"}`,
};

function producer(server: TestServer, path: string, body?: unknown): ReturnType<typeof api> {
  return api(server.url, 'POST', `/api/producer/test-execution${path}`, body);
}

describe.each(MODES)('test-execution, legacy socket served in %s mode', (mode) => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startServer({ services: ['test-execution'], clock: () => NOW, legacyMode: () => mode });
  });
  afterEach(async () => {
    await server.close();
  });

  it('sends nothing for an unknown execution, answers no ping, and keeps the socket for its broadcasts', async () => {
    const legacy = await server.legacy(PATH(ID));
    legacy.send('ping');
    legacy.send('{"type":"ping"}');
    expect(await producer(server, '/start', { execution_id: ID })).toMatchObject({ status: 201, body: { execution_id: ID, status: 'running' } });
    expect(await legacy.next()).toBe(wire.status('Test execution started'));
    expect(legacy.frames).toEqual([wire.status('Test execution started')]);
  });

  it('replays state, buffered output and completion on connect, to legacy and Socket.IO clients', async () => {
    await producer(server, '/start', { execution_id: ID });
    await producer(server, `/${ID}/output`, { lines: ['collected 2 items\n', 'tests/test_api.py::test_health PASSED'] });
    const first = await server.legacy(PATH(ID));
    for (const frame of [wire.state('running'), wire.output('collected 2 items'), wire.output('tests/test_api.py::test_health PASSED')]) {
      expect(await first.next()).toBe(frame);
    }

    const socket = await server.sio('/tests');
    const joined = recordEvents(socket, ['test_state', 'test_output', 'test_completed']);
    expect(await socket.emitWithAck('join_execution', { execution_id: ID })).toEqual({ ok: true, room: `execution_${ID}`, seq: 3, epoch: expect.any(String) });
    await expect.poll(() => joined.length).toBe(3);
    expect(joined).toEqual([
      { event: 'test_state', payload: { execution_id: ID, status: 'running', started_at: TS, timestamp: TS, seq: 3 } },
      { event: 'test_output', payload: { execution_id: ID, message: 'collected 2 items', timestamp: TS, replay: true, seq: 3 } },
      { event: 'test_output', payload: { execution_id: ID, message: 'tests/test_api.py::test_health PASSED', timestamp: TS, replay: true, seq: 3 } },
    ]);

    const summary = { result: 'Some Python tests failed', exit_code: 1 };
    await producer(server, `/${ID}/complete`, { exit_code: 1 });
    expect(await first.next()).toBe(wire.completed('failed', 1, summary));
    await expect.poll(() => joined.length).toBe(4);
    expect(joined[3]).toEqual({ event: 'test_completed', payload: { execution_id: ID, status: 'failed', exit_code: 1, summary, timestamp: TS, seq: 4 } });

    const second = await server.legacy(PATH(ID));
    for (const frame of [wire.state('failed'), wire.output('collected 2 items'), wire.output('tests/test_api.py::test_health PASSED'), wire.completed('failed', 1, summary)]) {
      expect(await second.next()).toBe(frame);
    }
  });

  it('delivers live producer events to legacy and Socket.IO subscribers in the same order', async () => {
    await producer(server, '/start', { execution_id: ID, test_type: 'ui' });
    const legacy = await server.legacy(PATH(ID));
    expect(await legacy.next()).toBe(wire.state('running'));
    const socket = await server.sio('/tests');
    const snapshot = nextEvent(socket, 'test_state');
    expect(await socket.emitWithAck('join_execution', { execution_id: ID })).toMatchObject({ ok: true, seq: 1 });
    expect(await snapshot).toMatchObject({ status: 'running', seq: 1 });

    const seen = recordEvents(socket, ['test_status', 'test_output', 'test_error', 'test_completed', 'test_cancelled']);
    expect(await producer(server, `/${ID}/output`, { lines: ['✓ test/pages.test.tsx (5 tests) 15ms', '', 'Tests  5 passed'] })).toMatchObject({ body: { sent: 2 } });
    await producer(server, `/${ID}/error`, { error: 'vitest exited: "signal 9"' });

    const expected = [
      wire.output('✓ test/pages.test.tsx (5 tests) 15ms'),
      wire.output('Tests  5 passed'),
      wire.error('Test execution failed: vitest exited: \\"signal 9\\"'),
      wire.completed('failed', null, { error: 'vitest exited: "signal 9"' }),
    ];
    for (const frame of expected) expect(await legacy.next()).toBe(frame);
    await expect.poll(() => seen.length).toBe(4);
    expect(seen.map((e) => [e.event, e.payload.seq])).toEqual([['test_output', 2], ['test_output', 3], ['test_error', 4], ['test_completed', 5]]);
    expect(Object.keys(seen[3]!.payload)).toEqual(['execution_id', 'status', 'exit_code', 'summary', 'timestamp', 'seq']);
  });

  it('keeps the legacy REST routes: run, status, history and cancel', async () => {
    const run = await api(server.url, 'POST', '/api/tests/mcp/run', { test_type: 'mcp', options: {} });
    const executionId = (run.body as { execution_id: string }).execution_id;
    expect(run).toEqual({ status: 200, body: { execution_id: executionId, test_type: 'mcp', status: 'pending', started_at: TS, message: 'Python test execution started' } });
    const legacy = await server.legacy(PATH(executionId));
    expect(await legacy.next()).toBe(wire.state('pending'));

    expect(await api(server.url, 'DELETE', `/api/tests/execution/${executionId}`)).toEqual({ status: 200, body: { message: 'Test execution cancelled', execution_id: executionId } });
    expect(await legacy.next()).toBe(wire.cancelled);
    expect(await api(server.url, 'DELETE', `/api/tests/execution/${executionId}`)).toMatchObject({ status: 400, body: { error: { code: 'INVALID_PAYLOAD' } } });
    expect(await api(server.url, 'DELETE', '/api/tests/execution/nope')).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });

    const summary = { result: 'Test execution cancelled by user' };
    expect((await api(server.url, 'GET', `/api/tests/status/${executionId}`)).body).toEqual({
      execution_id: executionId, test_type: 'mcp', status: 'cancelled', started_at: TS, completed_at: TS, duration_seconds: 0, exit_code: null, summary,
    });
    expect((await api(server.url, 'GET', '/api/tests/history?limit=5')).body).toMatchObject({ total_count: 1, executions: [{ execution_id: executionId }] });
    const late = await server.legacy(PATH(executionId));
    expect([await late.next(), await late.next()]).toEqual([wire.state('cancelled'), wire.completed('cancelled', null, summary)]);
  });

  it('starts a run queued by POST /api/tests/mcp/run through the producer API', async () => {
    const { body } = await api(server.url, 'POST', '/api/tests/ui/run');
    const executionId = (body as { execution_id: string }).execution_id;
    expect(body).toMatchObject({ test_type: 'ui', message: 'React UI test execution started' });
    expect(await producer(server, '/start', { execution_id: executionId })).toMatchObject({ status: 200, body: { status: 'running', test_type: 'ui' } });
    expect(await producer(server, '/start', { execution_id: executionId })).toMatchObject({ status: 400, body: { error: { code: 'INVALID_PAYLOAD' } } });
    await producer(server, `/${executionId}/output`, { lines: ['x'] });
    expect((await api(server.url, 'GET', `/api/producer/test-execution/${executionId}`)).body).toMatchObject({ status: 'running', output: ['x'] });
  });

  it('rejects bad input: 400/404 JSON on REST, ack errors on Socket.IO', async () => {
    const invalid = { status: 400, body: { error: { code: 'INVALID_PAYLOAD' } } };
    expect(await producer(server, `/${ID}/output`, { lines: ['x'] })).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    expect(await producer(server, `/${ID}/complete`, { exit_code: 0 })).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    expect(await api(server.url, 'GET', `/api/tests/status/${ID}`)).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    expect(await producer(server, '/start', { test_type: 'java' })).toMatchObject(invalid);
    await producer(server, '/start', { execution_id: ID });
    expect(await producer(server, `/${ID}/output`, { lines: [] })).toMatchObject(invalid);
    expect(await producer(server, `/${ID}/output`, { lines: 'x' })).toMatchObject(invalid);
    expect(await producer(server, `/${ID}/complete`, { exit_code: '0' })).toMatchObject(invalid);
    expect(await producer(server, `/${ID}/error`, {})).toMatchObject(invalid);
    expect(await producer(server, `/${ID}/error`, '{not json')).toMatchObject(invalid);

    const socket = await server.sio('/tests');
    expect(await socket.emitWithAck('join_execution', {})).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
    expect(await socket.emitWithAck('join_execution', { execution_id: 5 })).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
    expect(await socket.emitWithAck('run_tests', {})).toMatchObject({ ok: false, error: { code: 'UNKNOWN_EVENT' } });
    const seen = recordEvents(socket, ['test_state']);
    expect(await socket.emitWithAck('join_execution', { execution_id: 'unknown' })).toEqual({ ok: true, room: 'execution_unknown', seq: 0, epoch: expect.any(String) });
    expect(await socket.emitWithAck('leave_execution', { execution_id: 'unknown' })).toEqual({ ok: true });
    expect(seen).toEqual([]);
  });
});

describe.each(MODES)('test-execution keep-alive status, legacy socket served in %s mode', (mode) => {
  let server: TestServer;
  beforeEach(async () => {
    process.env.SWITCHYARD_TESTS_STILL_RUNNING_MS = '150';
    server = await startServer({ services: ['test-execution'], clock: () => NOW, legacyMode: () => mode });
  });
  afterEach(async () => {
    delete process.env.SWITCHYARD_TESTS_STILL_RUNNING_MS;
    await server.close();
  });

  it('sends "Tests still running..." after the configured silence until the run completes', async () => {
    await producer(server, '/start', { execution_id: ID });
    const legacy = await server.legacy(PATH(ID));
    expect(await legacy.next()).toBe(wire.state('running'));
    const socket = await server.sio('/tests');
    await socket.emitWithAck('join_execution', { execution_id: ID });
    const status = nextEvent<{ message: string }>(socket, 'test_status', 2000);
    expect(await legacy.next(() => true, 2000)).toBe(wire.status('Tests still running...'));
    expect((await status).message).toBe('Tests still running...');
    await producer(server, `/${ID}/complete`, { exit_code: 0 });
    expect(await legacy.next((f) => f.includes('"completed"'), 2000)).toBe(wire.completed('completed', 0, { result: 'All Python tests passed', exit_code: 0 }));
  });
});
