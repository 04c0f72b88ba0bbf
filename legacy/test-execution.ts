/**
 * Legacy endpoint `/api/tests/stream/{execution_id}` (legacy.md §6), as the
 * original `test_output_websocket` served it:
 * - on connect, for a known execution: `status` with a **top-level** `status`,
 *   every buffered output line as `output`, then `completed` if it finished;
 *   for an unknown one nothing at all (the socket stays open and still gets
 *   the execution's broadcasts should it start);
 * - live: `status` (with `data.status`), `output`, `error`, `completed`
 *   (top-level `exit_code`, a quirk the legacy client misread), `cancelled`;
 * - no heartbeat; the server read and discarded client text, never answering it.
 */
import type { TestExecutionDomain } from '../src/services/test-execution/domain.js';
import { executionRoom } from '../src/services/test-execution/events.js';
import type { LegacyEndpoint } from '../src/services/service-module.js';
import { encodeFrame } from './wire.js';

type Fields = Readonly<Record<string, unknown>>;

const snapshotFrame = (p: Fields): string => encodeFrame({ type: 'status', status: p.status, started_at: p.started_at, timestamp: p.timestamp });
const statusFrame = (p: Fields): string => encodeFrame({ type: 'status', data: { status: p.status }, message: p.message, timestamp: p.timestamp });
const messageFrame = (type: string, p: Fields): string => encodeFrame({ type, message: p.message, timestamp: p.timestamp });
const completedFrame = (p: Fields): string =>
  encodeFrame({ type: 'completed', status: p.status, exit_code: p.exit_code, summary: p.summary, timestamp: p.timestamp });

export function testExecutionLegacy(domain: TestExecutionDomain): LegacyEndpoint {
  return {
    open({ params }) {
      const executionId = params.execution_id!;
      const replay = domain.replay(executionId);
      const frames = replay === undefined ? [] : [
        snapshotFrame(replay.state),
        ...replay.output.map((line) => messageFrame('output', line)),
        ...(replay.completed ? [completedFrame(replay.completed)] : []),
      ];
      return { rooms: [executionRoom(executionId)], frames };
    },
    encode(event) {
      switch (event.event) {
        case 'test_status': return [statusFrame(event.payload)];
        case 'test_output': return [messageFrame('output', event.payload)];
        case 'test_error': return [messageFrame('error', event.payload)];
        case 'test_completed': return [completedFrame(event.payload)];
        case 'test_cancelled': return [messageFrame('cancelled', event.payload)];
        // `test_state` is only ever a join snapshot, never a room event.
        default: return [];
      }
    },
  };
}
