import plan from '../../../migrations-plan/test-execution.json' with { type: 'json' };
import { defineService } from '../../contract/define.js';
import type { TestClientToServerEvents, TestServerToClientEvents } from './events.js';

/** test-execution's contract: browser-safe (types and the bundled plan only). */
export const testExecution = defineService<TestServerToClientEvents, TestClientToServerEvents>()({
  id: 'test-execution',
  plan,
  join: 'join_execution',
  room: ({ execution_id }: { execution_id: string }) => `execution_${execution_id}`,
});
