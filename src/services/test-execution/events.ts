/**
 * test-execution: the event maps both the server and the SDK import.
 * Room: `execution_<execution_id>`; namespace `/tests`.
 *
 * Every room event carries `execution_id` first, so a client in several
 * executions' rooms can tell them apart; the legacy frames never had it (the
 * URL named the execution), and the plan fills it from the URL when decoding.
 */
import { testExecution } from './contract.js';

/** `TestStatus` of the legacy `tests_api.py`. */
export const TEST_STATUSES = ['pending', 'running', 'completed', 'failed', 'cancelled'] as const;
export type TestStatus = (typeof TEST_STATUSES)[number];

/** The statuses after which an execution accepts no more output (legacy on-connect sends `completed` for these). */
export const FINISHED_STATUSES: ReadonlySet<TestStatus> = new Set(['completed', 'failed', 'cancelled']);

/** `TestType` of the legacy API: pytest (`/mcp/run`) or vitest (`/ui/run`). */
export const TEST_TYPES = ['mcp', 'ui'] as const;
export type TestType = (typeof TEST_TYPES)[number];

/** `summary` as the legacy server set it: `{result, exit_code}`, `{error}` or `{result}` (cancelled). */
export type TestSummary = Record<string, unknown>;

/** Snapshot sent on join (legacy: the on-connect `status` frame with a top-level `status`). */
export type TestStatePayload = { execution_id: string; status: TestStatus; started_at: string; timestamp: string };
/** "Test execution started" / "Tests still running..." (legacy: `status` with `data.status`). */
export type TestStatusPayload = { execution_id: string; status: TestStatus; message: string; timestamp: string };
/** One non-empty output line. `replay: true` marks the buffered lines sent on join. */
export type TestOutputPayload = { execution_id: string; message: string; timestamp: string; replay?: true };
/** "Test execution failed: …"; always followed by `test_completed` with status `failed`. */
export type TestErrorPayload = { execution_id: string; message: string; timestamp: string };
/** The end of a run. `replay: true` when sent on join for an execution that already finished. */
export type TestCompletedPayload = {
  execution_id: string;
  status: TestStatus;
  exit_code: number | null;
  summary: TestSummary | null;
  timestamp: string;
  replay?: true;
};
/** Sent after `DELETE /api/tests/execution/:id`. */
export type TestCancelledPayload = { execution_id: string; message: string; timestamp: string };

type Sequenced<T> = T & { seq: number };

export interface TestClientToServerEvents {
  /**
   * Join an execution's room. A known execution answers at once with
   * `test_state`, the buffered output as `test_output` (`replay: true`), and
   * `test_completed` (`replay: true`) if it finished; an unknown one with
   * nothing (live events still arrive if it starts later). `since`: the last
   * `seq` seen; the bridge then replays the missed room events instead of the
   * snapshot when it still holds them (ack `resumed: true`).
   * Ack: `{ ok: true, room, seq }` or `{ ok: false, error: { code } }`.
   */
  join_execution(payload: { execution_id: string; since?: number }, ack: (result: unknown) => void): void;
  /** Leave an execution's room. Ack `{ ok: true }`. */
  leave_execution(payload: { execution_id: string }, ack: (result: unknown) => void): void;
}

/** Join-time events carry `seq` = the room head they are consistent with; live events carry their own. */
export interface TestServerToClientEvents {
  test_state(payload: Sequenced<TestStatePayload>): void;
  test_status(payload: Sequenced<TestStatusPayload>): void;
  test_output(payload: Sequenced<TestOutputPayload>): void;
  test_error(payload: Sequenced<TestErrorPayload>): void;
  test_completed(payload: Sequenced<TestCompletedPayload>): void;
  test_cancelled(payload: Sequenced<TestCancelledPayload>): void;
}

/** Legacy frames of `/api/tests/stream/:execution_id` (legacy.md §6): top-level fields, no `data` envelope except live `status`. */
export type TestLegacyFrame =
  | { type: 'status'; status: TestStatus; started_at: string; timestamp: string }
  | { type: 'status'; data: { status: TestStatus }; message: string; timestamp: string }
  | { type: 'output'; message: string; timestamp: string }
  | { type: 'error'; message: string; timestamp: string }
  | { type: 'completed'; status: TestStatus; exit_code: number | null; summary: TestSummary | null; timestamp: string }
  | { type: 'cancelled'; message: string; timestamp: string };

/** The room function of the contract (`./contract.ts`), the one definition of the room name. */
export const executionRoom = (executionId: string): string => testExecution.room({ execution_id: executionId });

/** Legacy message texts (tests_api.py). */
export const MESSAGES = {
  started: 'Test execution started',
  stillRunning: 'Tests still running...',
  cancelled: 'Test execution cancelled',
  failedPrefix: 'Test execution failed: ',
  cancelledSummary: 'Test execution cancelled by user',
} as const;

/** What the join handler and the legacy endpoint replay on connect, in order. */
export interface TestReplay {
  state: TestStatePayload;
  output: TestOutputPayload[];
  completed: TestCompletedPayload | undefined;
}
