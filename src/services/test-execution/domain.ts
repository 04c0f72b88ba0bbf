import { randomUUID } from 'node:crypto';
import { pythonLocalIso } from '../../domain/clock.js';
import { SwitchyardError } from '../../errors/catalogue.js';
import type { ServiceContext } from '../service-module.js';
import { embeddedStore, type EntityMap } from '../../domain/entity-store.js';
import { assertCapacity, ByteBudget, DEFAULT_STORAGE_LIMITS, IdleExpiry, type StorageLimits } from '../storage-limits.js';
import { executionRoom, FINISHED_STATUSES, MESSAGES, type TestReplay, type TestStatus, type TestSummary, type TestType } from './events.js';
import { DEFAULT_TEST_EXECUTION_OPTIONS, type TestExecutionOptions } from './options.js';
import { publisherFor, type PublishPayload } from '../../domain/publisher.js';
import { testExecution } from './contract.js';
import type { TestServerToClientEvents } from './events.js';

/** The events a run publishes live (`test_state` is the join snapshot only). */
type TestLiveEvent = Exclude<keyof TestServerToClientEvents, 'test_state'>;

/** An execution as the legacy REST API showed it (`TestStatusResponse`, key order kept). */
export interface TestExecutionView {
  execution_id: string;
  test_type: TestType;
  status: TestStatus;
  started_at: string;
  completed_at: string | null;
  duration_seconds: number | null;
  exit_code: number | null;
  summary: TestSummary | null;
}

/** How a producer ends a run. `status` defaults from `exit_code` (0 → completed, else failed). */
export interface TestCompletion {
  exit_code: number | null;
  status?: 'completed' | 'failed';
  summary?: TestSummary;
}

interface ExecutionRecord {
  readonly execution_id: string;
  readonly test_type: TestType;
  status: TestStatus;
  readonly startedMs: number;
  completedMs: number | undefined;
  exit_code: number | null;
  summary: TestSummary | null;
  /** Oldest first, at most `maxOutputLines` and `entityBytes` (UTF-8) in all. */
  readonly output: string[];
  outputBytes: number;
}

const RESULT_TEXT: Record<TestType, { passed: string; failed: string }> = {
  mcp: { passed: 'All Python tests passed', failed: 'Some Python tests failed' },
  ui: { passed: 'All React UI tests passed', failed: 'Some React UI tests failed' },
};

/**
 * Test executions, as the legacy `tests_api.py` kept them: one record per run
 * with its buffered output lines, broadcast to the execution's sockets as they
 * arrive. Transport-neutral: it publishes to the hub. Only this class mutates
 * the records. Bounded: live executions in number, buffered output in lines
 * and bytes (the oldest go), and a run with no update for the idle TTL is dropped.
 */
export class TestExecutionDomain {
  readonly #ctx: ServiceContext;
  readonly #options: TestExecutionOptions;
  readonly #executions: EntityMap<ExecutionRecord>;
  readonly #cleanups = new Map<string, NodeJS.Timeout>();
  // The "Tests still running..." timers, armed only while running (kept apart: records are plain data).
  readonly #stillRunning = new Map<string, NodeJS.Timeout>();
  readonly #queuedListeners = new Set<(executionId: string) => void>();
  readonly #limits: StorageLimits;
  readonly #idle: IdleExpiry;
  readonly #budget: ByteBudget;

  constructor(ctx: ServiceContext, options: Partial<TestExecutionOptions> = {}) {
    this.#ctx = ctx;
    this.#options = { ...DEFAULT_TEST_EXECUTION_OPTIONS, ...options };
    this.#limits = ctx.storage ?? DEFAULT_STORAGE_LIMITS;
    this.#idle = new IdleExpiry(this.#limits.idleTtlMs, ctx.clock, (id) => this.#forget(id));
    this.#budget = new ByteBudget(this.#limits.serviceBytes, 'test executions');
    const store = ctx.store ?? embeddedStore;
    this.#executions = store.map('test-execution');
    store.onRemoteChange('test-execution', (id) => {
      if (this.#executions.has(id) && !this.#cleanups.has(id)) this.#idle.touch(id);
    });
  }

  /** Executions held (finished ones until their retention ends), for tests and metrics. */
  get size(): number {
    return this.#executions.size;
  }

  get(executionId: string): TestExecutionView | undefined {
    const record = this.#executions.get(executionId);
    return record && this.#view(record);
  }

  /** Every execution still remembered, newest first (legacy `/history` order). */
  list(): TestExecutionView[] {
    return [...this.#executions.values()].sort((a, b) => b.startedMs - a.startedMs).map((r) => this.#view(r));
  }

  /** The buffered output lines of an execution. */
  output(executionId: string): string[] {
    return [...this.#require(executionId).output];
  }

  /** A new `pending` execution (legacy `POST /api/tests/mcp/run` created one and sent nothing yet). */
  create(input: { execution_id?: string; test_type?: TestType } = {}): TestExecutionView {
    const executionId = input.execution_id ?? randomUUID();
    if (this.#executions.has(executionId)) throw new SwitchyardError('INVALID_PAYLOAD', `execution ${executionId} already exists`);
    assertCapacity(this.#executions.size, this.#limits.maxEntities, 'test executions');
    const record: ExecutionRecord = {
      execution_id: executionId, test_type: input.test_type ?? 'mcp', status: 'pending', startedMs: this.#ctx.clock(),
      completedMs: undefined, exit_code: null, summary: null, output: [], outputBytes: 0,
    };
    this.#executions.set(executionId, record);
    this.#idle.touch(executionId);
    return this.#view(record);
  }

  /** A run requested through the legacy REST API: created, then offered to whoever runs tests (the demo). */
  queue(testType: TestType): TestExecutionView {
    const view = this.create({ test_type: testType });
    for (const listener of this.#queuedListeners) listener(view.execution_id);
    return view;
  }

  /** Be told about queued runs; returns an unsubscribe function. */
  onQueued(listener: (executionId: string) => void): () => void {
    this.#queuedListeners.add(listener);
    return () => this.#queuedListeners.delete(listener);
  }

  /** pending → running, with the "Test execution started" status. */
  start(executionId: string, message: string = MESSAGES.started): TestExecutionView {
    const record = this.#require(executionId);
    if (record.status !== 'pending') throw new SwitchyardError('INVALID_PAYLOAD', `execution ${executionId} is already ${record.status}`);
    record.status = 'running';
    this.#idle.touch(executionId);
    this.#publish(record, 'test_status', { status: 'running', message, timestamp: this.#now() });
    this.#armStillRunning(record);
    return this.#view(record);
  }

  /**
   * Output text: split into lines, trailing whitespace removed, empty lines
   * skipped (the legacy `rstrip()` + "only add non-empty lines"). Returns the
   * number of lines sent.
   */
  appendOutput(executionId: string, chunks: readonly string[]): number {
    const record = this.#requireUnfinished(executionId);
    // What the buffer may hold after trimming, at most: checked before anything is sent.
    const added = chunks.reduce((sum, chunk) => sum + Buffer.byteLength(chunk), 0);
    this.#budget.check(executionId, Math.min(record.outputBytes + added, Math.max(this.#limits.entityBytes, added)));
    let sent = 0;
    for (const chunk of chunks) {
      for (const raw of chunk.split(/\r?\n/)) {
        const message = raw.trimEnd();
        if (message === '') continue;
        this.#publish(record, 'test_output', { message, timestamp: this.#now() });
        record.output.push(message);
        record.outputBytes += Buffer.byteLength(message);
        sent++;
      }
    }
    let overflow = Math.max(0, record.output.length - this.#options.maxOutputLines);
    for (let i = 0; i < overflow; i++) record.outputBytes -= Buffer.byteLength(record.output[i]!);
    while (overflow < record.output.length - 1 && record.outputBytes > this.#limits.entityBytes) {
      record.outputBytes -= Buffer.byteLength(record.output[overflow++]!);
    }
    if (overflow > 0) record.output.splice(0, overflow);
    this.#budget.set(executionId, record.outputBytes);
    this.#idle.touch(executionId);
    if (sent > 0 && record.status === 'running') this.#armStillRunning(record);
    return sent;
  }

  /** The run failed outside the tests (legacy `except` branch): `test_error`, then `test_completed` failed. */
  fail(executionId: string, error: string): TestExecutionView {
    const record = this.#requireUnfinished(executionId);
    this.#publish(record, 'test_error', { message: `${MESSAGES.failedPrefix}${error}`, timestamp: this.#now() });
    record.status = 'failed';
    record.summary = { error };
    return this.#finishWithCompleted(record);
  }

  /** The run ended with an exit code. */
  complete(executionId: string, completion: TestCompletion): TestExecutionView {
    const record = this.#requireUnfinished(executionId);
    const status = completion.status ?? (completion.exit_code === 0 ? 'completed' : 'failed');
    const text = RESULT_TEXT[record.test_type];
    record.status = status;
    record.exit_code = completion.exit_code;
    record.summary = completion.summary ?? { result: status === 'completed' ? text.passed : text.failed, exit_code: completion.exit_code };
    return this.#finishWithCompleted(record);
  }

  /** Legacy `DELETE /api/tests/execution/{id}`: only pending or running runs; sends `cancelled`, not `completed`. */
  cancel(executionId: string): TestExecutionView {
    const record = this.#require(executionId);
    if (FINISHED_STATUSES.has(record.status)) throw new SwitchyardError('INVALID_PAYLOAD', 'Test execution cannot be cancelled');
    record.status = 'cancelled';
    record.summary = { result: MESSAGES.cancelledSummary };
    this.#publish(record, 'test_cancelled', { message: MESSAGES.cancelled, timestamp: this.#now() });
    this.#finish(record);
    return this.#view(record);
  }

  /**
   * What a connecting client is sent (legacy `test_output_websocket`): the
   * state, every buffered line, and the completion if finished — all stamped
   * now, as the legacy server stamped its replay.
   */
  replay(executionId: string): TestReplay | undefined {
    const record = this.#executions.get(executionId);
    if (!record) return undefined;
    const timestamp = this.#now();
    const { execution_id, status } = record;
    return {
      state: { execution_id, status, started_at: pythonLocalIso(record.startedMs), timestamp },
      output: record.output.map((message) => ({ execution_id, message, timestamp, replay: true })),
      completed: FINISHED_STATUSES.has(status)
        ? { execution_id, status, exit_code: record.exit_code, summary: record.summary, timestamp, replay: true }
        : undefined,
    };
  }

  close(): void {
    for (const timer of this.#stillRunning.values()) clearTimeout(timer);
    this.#stillRunning.clear();
    for (const timer of this.#cleanups.values()) clearTimeout(timer);
    this.#cleanups.clear();
    this.#queuedListeners.clear();
    this.#idle.close();
  }

  /** Forget an execution and its room (retention ended, or idle for the TTL). */
  #forget(executionId: string): void {
    clearTimeout(this.#stillRunning.get(executionId));
    this.#stillRunning.delete(executionId);
    clearTimeout(this.#cleanups.get(executionId));
    this.#cleanups.delete(executionId);
    this.#idle.forget(executionId);
    this.#executions.delete(executionId);
    this.#budget.delete(executionId);
    this.#ctx.hub.dropRoom(executionRoom(executionId));
  }

  #finishWithCompleted(record: ExecutionRecord): TestExecutionView {
    const { status, exit_code, summary } = record;
    this.#publish(record, 'test_completed', { status, exit_code, summary, timestamp: this.#now() });
    this.#finish(record);
    return this.#view(record);
  }

  #finish(record: ExecutionRecord): void {
    clearTimeout(this.#stillRunning.get(record.execution_id));
    this.#stillRunning.delete(record.execution_id);
    record.completedMs = this.#ctx.clock();
    const executionId = record.execution_id;
    // Finished: its retention timer ends it, not the idle TTL.
    this.#idle.forget(executionId);
    const timer = setTimeout(() => this.#forget(executionId), this.#options.retentionMs);
    timer.unref();
    this.#cleanups.set(executionId, timer);
  }

  /** Legacy: `readline()` with a 30 s timeout; each timeout while the process lives sends "Tests still running...". */
  #armStillRunning(record: ExecutionRecord): void {
    const executionId = record.execution_id;
    clearTimeout(this.#stillRunning.get(executionId));
    const timer = setTimeout(() => {
      // Read again: the record may have changed since (cluster mode: on another node).
      const current = this.#executions.get(executionId);
      if (current?.status !== 'running') return;
      this.#publish(current, 'test_status', { status: 'running', message: MESSAGES.stillRunning, timestamp: this.#now() });
      this.#armStillRunning(current);
    }, this.#options.stillRunningMs);
    timer.unref();
    this.#stillRunning.set(executionId, timer);
  }

  #publish<E extends TestLiveEvent>(record: ExecutionRecord, event: E, fields: Omit<PublishPayload<TestServerToClientEvents, E>, 'execution_id'>): void {
    const payload = { execution_id: record.execution_id, ...fields };
    publisherFor(this.#ctx.hub, testExecution).publish(executionRoom(record.execution_id), event, payload as PublishPayload<TestServerToClientEvents, E>);
  }

  #require(executionId: string): ExecutionRecord {
    const record = this.#executions.get(executionId);
    if (!record) throw new SwitchyardError('NOT_FOUND', `unknown test execution ${executionId}`);
    return record;
  }

  #requireUnfinished(executionId: string): ExecutionRecord {
    const record = this.#require(executionId);
    if (FINISHED_STATUSES.has(record.status)) throw new SwitchyardError('INVALID_PAYLOAD', `execution ${executionId} already ${record.status}`);
    return record;
  }

  #view(record: ExecutionRecord): TestExecutionView {
    const completed = record.completedMs;
    return {
      execution_id: record.execution_id,
      test_type: record.test_type,
      status: record.status,
      started_at: pythonLocalIso(record.startedMs),
      completed_at: completed === undefined ? null : pythonLocalIso(completed),
      duration_seconds: completed === undefined ? null : (completed - record.startedMs) / 1000,
      exit_code: record.exit_code,
      summary: record.summary,
    };
  }

  #now(): string {
    return pythonLocalIso(this.#ctx.clock());
  }
}
