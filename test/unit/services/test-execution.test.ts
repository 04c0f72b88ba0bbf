import { pino } from 'pino';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { testExecutionLegacy } from '../../../legacy/test-execution.js';
import { loadPlans } from '../../../src/adapter/plan-loader.js';
import type { ServicePlan } from '../../../src/adapter/plan-schema.js';
import { pythonLocalIso } from '../../../src/domain/clock.js';
import type { RoomEvent } from '../../../src/domain/event-log.js';
import { MemoryEventLog } from '../../../src/domain/memory-event-log.js';
import { RoomHub } from '../../../src/domain/room-hub.js';
import { testExecutionDemo } from '../../../src/services/test-execution/demo.js';
import { TestExecutionDomain } from '../../../src/services/test-execution/domain.js';
import type { TestExecutionOptions } from '../../../src/services/test-execution/options.js';
import { testExecutionOptionsFromEnv } from '../../../src/services/test-execution/options.js';

const NOW = Date.UTC(2025, 5, 19, 12, 40, 2, 117);
const TS = pythonLocalIso(NOW);
const ID = 'e1a2b3c4-d5e6-4f70-8192-a3b4c5d6e7f8';

let plan: ServicePlan;
beforeAll(async () => {
  plan = (await loadPlans(undefined, ['test-execution'])).get('test-execution')!;
});

describe('TestExecutionDomain', () => {
  let hub: RoomHub;
  let events: RoomEvent[];
  let domain: TestExecutionDomain;
  const make = (options: Partial<TestExecutionOptions> = {}): TestExecutionDomain =>
    new TestExecutionDomain({ hub, clock: () => NOW, logger: pino({ level: 'silent' }), plan }, options);
  const names = (): string[] => events.map((e) => e.event);

  beforeEach(() => {
    hub = new RoomHub(new MemoryEventLog());
    events = [];
    hub.onBroadcast((_service, event) => events.push(event));
    domain = make();
  });
  afterEach(() => {
    domain.close();
    vi.useRealTimers();
  });

  it('creates a pending execution silently, then start publishes "Test execution started"', () => {
    expect(domain.create({ execution_id: ID })).toMatchObject({ execution_id: ID, test_type: 'mcp', status: 'pending', started_at: TS, completed_at: null });
    expect(events).toEqual([]);
    domain.start(ID);
    expect(events[0]).toMatchObject({ room: `execution_${ID}`, seq: 1, event: 'test_status' });
    expect(Object.entries(events[0]!.payload)).toEqual([['execution_id', ID], ['status', 'running'], ['message', 'Test execution started'], ['timestamp', TS]]);
    expect(() => domain.start(ID)).toThrow(expect.objectContaining({ code: 'INVALID_PAYLOAD' }));
    expect(() => domain.create({ execution_id: ID })).toThrow(expect.objectContaining({ code: 'INVALID_PAYLOAD' }));
  });

  it('splits output into lines, strips trailing whitespace, skips empty lines, and bounds the buffer', () => {
    domain = make({ maxOutputLines: 3 });
    domain.create({ execution_id: ID });
    expect(domain.appendOutput(ID, ['one  \n\n two\r\n', '   ', 'three', 'four'])).toBe(4);
    expect(events.map((e) => e.payload.message)).toEqual(['one', ' two', 'three', 'four']);
    expect(domain.output(ID)).toEqual([' two', 'three', 'four']);
  });

  it('completes with the legacy default summary and top-level exit_code, then refuses more output', () => {
    domain.create({ execution_id: ID });
    domain.start(ID);
    expect(domain.complete(ID, { exit_code: 1 })).toMatchObject({ status: 'failed', exit_code: 1, duration_seconds: 0 });
    const completed = events.at(-1)!;
    expect(completed.event).toBe('test_completed');
    expect(JSON.stringify(completed.payload)).toBe(
      `{"execution_id":"${ID}","status":"failed","exit_code":1,"summary":{"result":"Some Python tests failed","exit_code":1},"timestamp":"${TS}"}`,
    );
    expect(() => domain.appendOutput(ID, ['late'])).toThrow(expect.objectContaining({ code: 'INVALID_PAYLOAD' }));
    expect(() => domain.cancel(ID)).toThrow(expect.objectContaining({ code: 'INVALID_PAYLOAD', message: 'Test execution cannot be cancelled' }));
  });

  it('fail() sends error then completed (failed, exit_code null, summary {error})', () => {
    domain.create({ execution_id: ID });
    domain.fail(ID, "[Errno 2] No such file or directory: 'docker'");
    expect(names()).toEqual(['test_error', 'test_completed']);
    expect(events[0]!.payload.message).toBe("Test execution failed: [Errno 2] No such file or directory: 'docker'");
    expect(events[1]!.payload).toMatchObject({ status: 'failed', exit_code: null, summary: { error: "[Errno 2] No such file or directory: 'docker'" } });
  });

  it('cancel sends `cancelled`; a later replay ends with completed/cancelled (legacy on-connect)', () => {
    domain.create({ execution_id: ID });
    domain.start(ID);
    domain.appendOutput(ID, ['a']);
    domain.cancel(ID);
    expect(names()).toEqual(['test_status', 'test_output', 'test_cancelled']);
    const replay = domain.replay(ID)!;
    expect(replay.state).toEqual({ execution_id: ID, status: 'cancelled', started_at: TS, timestamp: TS });
    expect(replay.output).toEqual([{ execution_id: ID, message: 'a', timestamp: TS, replay: true }]);
    expect(replay.completed).toMatchObject({ status: 'cancelled', exit_code: null, summary: { result: 'Test execution cancelled by user' } });
    expect(() => domain.cancel('nope')).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
  });

  it('replay: state, every buffered line and the completion, all stamped now; nothing for an unknown id', () => {
    domain.create({ execution_id: ID });
    domain.start(ID);
    domain.appendOutput(ID, ['a', 'b']);
    expect(domain.replay(ID)).toEqual({
      state: { execution_id: ID, status: 'running', started_at: TS, timestamp: TS },
      output: ['a', 'b'].map((message) => ({ execution_id: ID, message, timestamp: TS, replay: true })),
      completed: undefined,
    });
    domain.complete(ID, { exit_code: 0, summary: { result: 'custom' } });
    expect(domain.replay(ID)!.completed).toEqual({ execution_id: ID, status: 'completed', exit_code: 0, summary: { result: 'custom' }, timestamp: TS, replay: true });
    expect(domain.replay('unknown')).toBeUndefined();
  });

  it('sends "Tests still running..." after the configured silence, re-armed by output, stopped by completion', () => {
    vi.useFakeTimers();
    domain = make({ stillRunningMs: 1000 });
    domain.create({ execution_id: ID });
    domain.start(ID);
    vi.advanceTimersByTime(999);
    domain.appendOutput(ID, ['x']);
    vi.advanceTimersByTime(999);
    expect(names()).toEqual(['test_status', 'test_output']);
    vi.advanceTimersByTime(1);
    vi.advanceTimersByTime(1000);
    expect(events.slice(2).map((e) => e.payload.message)).toEqual(['Tests still running...', 'Tests still running...']);
    domain.complete(ID, { exit_code: 0 });
    vi.advanceTimersByTime(5000);
    expect(names().at(-1)).toBe('test_completed');
  });

  it('forgets a finished execution after the retention delay', () => {
    vi.useFakeTimers();
    domain = make({ retentionMs: 500 });
    domain.create({ execution_id: ID });
    domain.complete(ID, { exit_code: 0 });
    vi.advanceTimersByTime(499);
    expect(domain.get(ID)).toBeDefined();
    vi.advanceTimersByTime(1);
    expect(domain.get(ID)).toBeUndefined();
    expect(hub.head(`execution_${ID}`)).toBe(0);
  });

  it('demo: simulates runs on its cadence and queued REST runs, stopping when one is cancelled', () => {
    vi.useFakeTimers();
    const stop = testExecutionDemo(domain, 10_000, 10);
    vi.advanceTimersByTime(10);
    expect(domain.list()).toMatchObject([{ status: 'running', test_type: 'mcp' }]);
    vi.advanceTimersByTime(500);
    expect(domain.list()).toMatchObject([{ status: 'completed', exit_code: 0 }]);
    const queued = domain.queue('ui');
    vi.advanceTimersByTime(20);
    expect(domain.get(queued.execution_id)!.status).toBe('running');
    domain.cancel(queued.execution_id);
    const published = events.length;
    vi.advanceTimersByTime(500);
    expect(events.length).toBe(published);
    stop();
  });

  it('legacy endpoint: nothing for an unknown id, status/output/completed for a finished one', () => {
    const legacy = testExecutionLegacy(domain);
    expect(legacy.open({ params: { execution_id: ID } }, () => 0)).toEqual({ rooms: [`execution_${ID}`], frames: [] });
    domain.create({ execution_id: ID });
    domain.appendOutput(ID, ['line']);
    domain.complete(ID, { exit_code: 0 });
    expect(legacy.open({ params: { execution_id: ID } }, () => 0).frames).toEqual([
      `{"type":"status","status":"completed","started_at":"${TS}","timestamp":"${TS}"}`,
      `{"type":"output","message":"line","timestamp":"${TS}"}`,
      `{"type":"completed","status":"completed","exit_code":0,"summary":{"result":"All Python tests passed","exit_code":0},"timestamp":"${TS}"}`,
    ]);
  });
});

describe('testExecutionOptionsFromEnv', () => {
  it('defaults to the legacy 30 s and reads overrides', () => {
    expect(testExecutionOptionsFromEnv({})).toMatchObject({ stillRunningMs: 30_000, maxOutputLines: 10_000 });
    expect(testExecutionOptionsFromEnv({ SWITCHYARD_TESTS_STILL_RUNNING_MS: '200' }).stillRunningMs).toBe(200);
    expect(() => testExecutionOptionsFromEnv({ SWITCHYARD_TESTS_RETENTION_MS: 'soon' })).toThrow(/SWITCHYARD_TESTS_RETENTION_MS/);
  });
});
