import type Router from '@koa/router';
import { z } from 'zod';
import { SwitchyardError } from '../../errors/catalogue.js';
import { parseInput } from '../validate.js';
import type { ProjectStore } from './projects.js';
import { embeddedStore, type EntityStore } from '../../domain/entity-store.js';

const json = z.record(z.string(), z.unknown());

/** The optional project columns a producer may set (shared by create, update and the legacy `POST /api/projects`). */
export const projectFields = {
  description: z.string().max(20_000).nullable().optional(),
  github_repo: z.string().max(2048).nullable().optional(),
  prd: json.optional(),
  docs: z.array(z.unknown()).optional(),
  features: json.optional(),
  data: json.optional(),
  pinned: z.boolean().optional(),
  color: z.string().max(50).optional(),
  icon: z.string().max(100).optional(),
  technical_sources: z.array(z.string().max(2048)).optional(),
  business_sources: z.array(z.string().max(2048)).optional(),
};

const createSchema = z.strictObject({
  ...projectFields,
  id: z.string().regex(/^[A-Za-z0-9_-]{1,200}$/, 'letters, digits, "_" or "-" (1–200)').optional(),
  title: z.string().min(1).max(500),
});
const updateSchema = z.strictObject({ ...projectFields, title: z.string().min(1).max(500).optional() });

/**
 * Producer API of the project list (each change re-sends the list on
 * `/api/projects/stream` and to the `project_list` room):
 * - `GET    /api/producer/projects` → all projects, newest first
 * - `GET    /api/producer/projects/:id`
 * - `POST   /api/producer/projects` `{title, id?, description?, github_repo?, pinned?, ...}` → 201 project
 * - `PUT    /api/producer/projects/:id` `{title?, description?, pinned?, ...}` → project
 * - `DELETE /api/producer/projects/:id` → `{id, deleted: true}`
 *
 * Legacy REST kept: `GET /api/projects` (the list, with `description`).
 */
export function projectListRoutes(router: Router, projects: ProjectStore, store: EntityStore = embeddedStore): void {
  const base = '/api/producer/projects';
  router.get(base, (ctx) => {
    ctx.body = projects.list();
  });
  router.get(`${base}/:id`, (ctx) => {
    const project = projects.get(ctx.params.id!);
    if (!project) throw new SwitchyardError('NOT_FOUND', `unknown project ${ctx.params.id}`);
    ctx.body = project;
  });
  router.post(base, async (ctx) => {
    ctx.status = 201;
    ctx.body = await store.transact(() => projects.create(parseInput(createSchema, ctx.request.body, 'project create')));
  });
  router.put(`${base}/:id`, async (ctx) => {
    ctx.body = await store.transact(() => projects.update(ctx.params.id!, parseInput(updateSchema, ctx.request.body, 'project update')));
  });
  router.delete(`${base}/:id`, async (ctx) => {
    const removed = await store.transact(() => projects.remove(ctx.params.id!));
    ctx.body = { id: removed.id, deleted: true };
  });

  router.get('/api/projects', (ctx) => {
    ctx.body = projects.list();
  });
}
