import type Router from '@koa/router';
import { z } from 'zod';
import { SwitchyardError } from '../../errors/catalogue.js';
import { parseInput } from '../validate.js';
import type { TestExecutionDomain } from './domain.js';
import { embeddedStore, type EntityStore } from '../../domain/entity-store.js';
import { TEST_TYPES } from './events.js';

const startSchema = z.strictObject({
  execution_id: z.string().min(1).max(200).optional(),
  test_type: z.enum(TEST_TYPES).optional(),
  message: z.string().min(1).max(1000).optional(),
});
const outputSchema = z.strictObject({ lines: z.array(z.string().max(64 * 1024)).min(1).max(1000) });
const errorSchema = z.strictObject({ error: z.string().min(1).max(64 * 1024) });
const completeSchema = z.strictObject({
  exit_code: z.number().int().nullable(),
  status: z.enum(['completed', 'failed']).optional(),
  summary: z.record(z.string(), z.unknown()).optional(),
});

/**
 * Producer API of test-execution (what a test runner calls):
 * - `POST /api/producer/test-execution/start` `{execution_id?, test_type?, message?}` → starts a pending
 *   execution (e.g. one made by `POST /api/tests/mcp/run`, 200) or creates and starts a new one (201)
 * - `POST /api/producer/test-execution/:executionId/output` `{lines: [...]}` (1–1000; multi-line strings are split) → `{execution_id, sent}`
 * - `POST /api/producer/test-execution/:executionId/error` `{error}` → `error`, then `completed` failed
 * - `POST /api/producer/test-execution/:executionId/complete` `{exit_code, status?, summary?}`
 * - `GET  /api/producer/test-execution/:executionId` → the execution and its buffered `output`
 */
export function testExecutionRoutes(router: Router, domain: TestExecutionDomain, store: EntityStore = embeddedStore): void {
  const base = '/api/producer/test-execution';
  router.post(`${base}/start`, async (ctx) => {
    const { execution_id, test_type, message } = parseInput(startSchema, ctx.request.body ?? {}, 'test start');
    // Created and started in one step of the store.
    const { existed, view } = await store.transact(() => {
      const existing = execution_id === undefined ? undefined : domain.get(execution_id);
      const id = existing?.execution_id ?? domain.create({ execution_id, test_type }).execution_id;
      return { existed: existing !== undefined, view: domain.start(id, message) };
    });
    ctx.status = existed ? 200 : 201;
    ctx.body = view;
  });
  router.get(`${base}/:executionId`, (ctx) => {
    const id = ctx.params.executionId!;
    const view = domain.get(id);
    if (!view) throw new SwitchyardError('NOT_FOUND', `unknown test execution ${id}`);
    ctx.body = { ...view, output: domain.output(id) };
  });
  router.post(`${base}/:executionId/output`, async (ctx) => {
    const id = ctx.params.executionId!;
    const { lines } = parseInput(outputSchema, ctx.request.body, 'test output');
    ctx.body = { execution_id: id, sent: await store.transact(() => domain.appendOutput(id, lines)) };
  });
  router.post(`${base}/:executionId/error`, async (ctx) => {
    ctx.body = await store.transact(() => domain.fail(ctx.params.executionId!, parseInput(errorSchema, ctx.request.body, 'test error').error));
  });
  router.post(`${base}/:executionId/complete`, async (ctx) => {
    ctx.body = await store.transact(() => domain.complete(ctx.params.executionId!, parseInput(completeSchema, ctx.request.body, 'test complete')));
  });
}
