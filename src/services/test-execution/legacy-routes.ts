import type Router from '@koa/router';
import { z } from 'zod';
import { SwitchyardError } from '../../errors/catalogue.js';
import { parseInput } from '../validate.js';
import type { TestExecutionDomain } from './domain.js';
import { embeddedStore, type EntityStore } from '../../domain/entity-store.js';
import { TEST_TYPES, type TestType } from './events.js';

// Legacy `TestExecutionRequest {test_type, options?}`; the path already names the type, so both are optional here.
const runSchema = z.looseObject({ test_type: z.enum(TEST_TYPES).optional(), options: z.record(z.string(), z.unknown()).nullable().optional() });
const historySchema = z.looseObject({
  limit: z.coerce.number().int().nonnegative().default(50),
  offset: z.coerce.number().int().nonnegative().default(0),
});

const RUN_MESSAGE: Record<TestType, string> = { mcp: 'Python test execution started', ui: 'React UI test execution started' };

/**
 * The legacy application's own test REST routes (tests_api.py), kept so the
 * legacy UI can start runs and cancel them:
 * - `POST /api/tests/mcp/run`, `POST /api/tests/ui/run` → `{execution_id, test_type, status: "pending", started_at, message}`;
 *   the run's output then comes from the producer API (or, in demo mode, a simulation)
 * - `GET /api/tests/status/:executionId` → `{execution_id, test_type, status, started_at, completed_at, duration_seconds, exit_code, summary}`
 * - `GET /api/tests/history?limit=50&offset=0` → `{executions, total_count}`
 * - `DELETE /api/tests/execution/:executionId` → `{message: "Test execution cancelled", execution_id}`; 400 unless pending/running
 */
export function testExecutionLegacyRoutes(router: Router, domain: TestExecutionDomain, store: EntityStore = embeddedStore): void {
  for (const testType of TEST_TYPES) {
    router.post(`/api/tests/${testType}/run`, async (ctx) => {
      parseInput(runSchema, ctx.request.body ?? {}, 'test run');
      const view = await store.transact(() => domain.queue(testType));
      ctx.body = { execution_id: view.execution_id, test_type: view.test_type, status: view.status, started_at: view.started_at, message: RUN_MESSAGE[testType] };
    });
  }
  router.get('/api/tests/status/:executionId', (ctx) => {
    const view = domain.get(ctx.params.executionId!);
    if (!view) throw new SwitchyardError('NOT_FOUND', 'Test execution not found');
    ctx.body = view;
  });
  router.get('/api/tests/history', (ctx) => {
    const { limit, offset } = parseInput(historySchema, { ...ctx.query }, 'test history query');
    const all = domain.list();
    ctx.body = { executions: all.slice(offset, offset + limit), total_count: all.length };
  });
  router.delete('/api/tests/execution/:executionId', async (ctx) => {
    const view = await store.transact(() => domain.cancel(ctx.params.executionId!));
    ctx.body = { message: 'Test execution cancelled', execution_id: view.execution_id };
  });
}
