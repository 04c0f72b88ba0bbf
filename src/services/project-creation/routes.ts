import type Router from '@koa/router';
import { z } from 'zod';
import { SwitchyardError } from '../../errors/catalogue.js';
import { parseInput } from '../validate.js';
import type { ProjectCreationDomain } from './domain.js';
import { embeddedStore, type EntityStore } from '../../domain/entity-store.js';
import type { CreationFlows } from './flow.js';
import { projectFields } from './projects-routes.js';

const progressIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,200}$/, 'letters, digits, "_" or "-" (1–200)');
const startSchema = z.strictObject({
  progressId: progressIdSchema.optional(),
  title: z.string().min(1).max(500),
  description: z.string().max(20_000).nullable().optional(),
  github_repo: z.string().max(2048).nullable().optional(),
});
// Any extra kwargs are kept in the state, as the legacy `update_progress` did.
const progressSchema = z.looseObject({
  // `waiting` is the untracked state's status; a tracked creation may not pretend to be untracked.
  status: z.string().min(1).max(100).refine((status) => status !== 'waiting', 'status "waiting" is reserved').optional(),
  percentage: z.number().min(0).max(100).optional(),
  step: z.string().max(200).optional(),
  log: z.string().max(10_000).optional(),
});
const completeSchema = z.looseObject({ project: z.record(z.string(), z.unknown()).optional() });
const errorSchema = z.strictObject({ error: z.string().min(1).max(10_000) });
// The legacy `CreateProjectRequest`: pydantic ignored unknown fields, so they are allowed (and dropped).
const legacyCreateSchema = z.object({ ...projectFields, title: z.string().min(1).max(500) });

/**
 * Producer API of project-creation (what the project backend calls):
 * - `POST /api/producer/project-creation` `{progressId?, title, description?, github_repo?}` → 201 state
 * - `POST /api/producer/project-creation/:progressId/progress` `{status?, percentage?, step?, log?, ...kwargs}`
 * - `POST /api/producer/project-creation/:progressId/complete` `{project?, ...}` → `project_completed`
 * - `POST /api/producer/project-creation/:progressId/error` `{error}` → `project_error`
 * - `GET  /api/producer/project-creation/:progressId` → current state
 *
 * Legacy REST kept: `POST /api/projects` `{title, description?, github_repo?, ...}` →
 * `{progress_id, status: "started", message}`, which runs the simulated creation flow.
 */
export function projectCreationRoutes(router: Router, domain: ProjectCreationDomain, flows: CreationFlows, store: EntityStore = embeddedStore): void {
  const base = '/api/producer/project-creation';
  router.post(base, async (ctx) => {
    ctx.status = 201;
    ctx.body = await store.transact(() => domain.start(parseInput(startSchema, ctx.request.body, 'project creation start')));
  });
  router.get(`${base}/:progressId`, (ctx) => {
    const state = domain.get(ctx.params.progressId!);
    if (!state) throw new SwitchyardError('NOT_FOUND', `unknown project creation ${ctx.params.progressId}`);
    ctx.body = state;
  });
  router.post(`${base}/:progressId/progress`, async (ctx) => {
    ctx.body = await store.transact(() => domain.update(ctx.params.progressId!, parseInput(progressSchema, ctx.request.body, 'project creation progress')));
  });
  router.post(`${base}/:progressId/complete`, async (ctx) => {
    ctx.body = await store.transact(() => domain.complete(ctx.params.progressId!, parseInput(completeSchema, ctx.request.body ?? {}, 'project creation complete')));
  });
  router.post(`${base}/:progressId/error`, async (ctx) => {
    ctx.body = await store.transact(() => domain.fail(ctx.params.progressId!, parseInput(errorSchema, ctx.request.body, 'project creation error').error));
  });

  router.post('/api/projects', async (ctx) => {
    const { title, description, github_repo, ...extras } = parseInput(legacyCreateSchema, ctx.request.body, 'create project');
    const started = await store.transact(() => flows.start({ title, description, github_repo }, extras));
    ctx.body = {
      progress_id: started.progressId,
      status: 'started',
      message: 'Project creation started. Connect to WebSocket for progress updates.',
    };
  });
}
