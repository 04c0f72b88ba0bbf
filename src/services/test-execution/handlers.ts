import { z } from 'zod';
import type { EventHandler } from '../service-module.js';
import { joinRoom, type SnapshotEvent } from '../join-room.js';
import { parseInput } from '../validate.js';
import type { TestExecutionDomain } from './domain.js';
import { executionRoom } from './events.js';

const executionId = z.string().min(1).max(200);
const joinSchema = z.strictObject({ execution_id: executionId, since: z.number().int().nonnegative().optional() });
const leaveSchema = z.strictObject({ execution_id: executionId });

/**
 * Socket.IO handlers of `/tests` (also serve legacy clients through the
 * adapter). The join emits, in the legacy on-connect order, `test_state`, the
 * buffered `test_output` lines and `test_completed` if finished — each mapped
 * by the plan to the exact legacy frame — and nothing for an unknown
 * execution, which the legacy server also answered with silence.
 */
export function testExecutionHandlers(domain: TestExecutionDomain, head: (room: string) => number): Record<string, EventHandler> {
  return {
    join_execution(client, payload) {
      // `since` (resume) is the bridge's business: it replays missed events instead of this snapshot.
      const { execution_id } = parseInput(joinSchema, payload, 'join_execution');
      const room = executionRoom(execution_id);
      const replay = domain.replay(execution_id);
      const snapshot: SnapshotEvent[] = replay
        ? [
          ['test_state', { ...replay.state }],
          ...replay.output.map((line): SnapshotEvent => ['test_output', { ...line }]),
          ...(replay.completed ? [['test_completed', { ...replay.completed }] as const] : []),
        ]
        : [];
      return joinRoom(client, room, head(room), snapshot);
    },
    leave_execution(client, payload) {
      const { execution_id } = parseInput(leaveSchema, payload, 'leave_execution');
      client.leave(executionRoom(execution_id));
      return { ok: true };
    },
  };
}
