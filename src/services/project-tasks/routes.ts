import type Router from '@koa/router';
import { z } from 'zod';
import { SwitchyardError } from '../../errors/catalogue.js';
import { parseInput } from '../validate.js';
import type { ProjectTasksDomain } from './domain.js';
import { embeddedStore, type EntityStore } from '../../domain/entity-store.js';
import { TASK_STATUSES } from './events.js';

const idField = z.string().min(1).max(200);
/** The fields of the legacy `UpdateTaskRequest` (pydantic ignored unknown keys, so the legacy routes strip them). */
const legacyChanges = {
  title: z.string().min(1).max(1000).optional(),
  description: z.string().max(100_000).optional(),
  status: z.enum(TASK_STATUSES).optional(),
  assignee: z.string().min(1).max(100).optional(),
  task_order: z.number().int().optional(),
  feature: z.string().max(200).nullable().optional(),
};
const producerChanges = {
  ...legacyChanges,
  parent_task_id: idField.nullable().optional(),
  sources: z.array(z.unknown()).max(1000).optional(),
  code_examples: z.array(z.unknown()).max(1000).optional(),
};
const legacyCreateSchema = z.object({ ...legacyChanges, project_id: idField, parent_task_id: idField.nullable().optional(), title: legacyChanges.title.unwrap() });
const legacyUpdateSchema = z.object(legacyChanges);
const producerCreateSchema = z.strictObject({ ...producerChanges, id: idField.optional(), title: legacyChanges.title.unwrap() });
const producerUpdateSchema = z.strictObject(producerChanges);
const batchSchema = z.strictObject({ tasks: z.array(z.strictObject({ ...producerChanges, id: idField })).min(1).max(1000) });

/**
 * REST of project-tasks.
 *
 * The legacy application's own routes (legacy.md §4, `projects_api.py`):
 * - `POST   /api/tasks` `{project_id, title, description?, status?, assignee?, task_order?, feature?, parent_task_id?}` → `{message, task}`
 * - `GET    /api/tasks/:taskId` → the task (404 when archived)
 * - `PUT    /api/tasks/:taskId` `{title?, description?, status?, assignee?, task_order?, feature?}` → `{message, task}`
 * - `DELETE /api/tasks/:taskId` → archives it and its subtasks → `{message, task, subtasks_archived}`
 * - `GET    /api/projects/:projectId/tasks?include_archived=true` → rows ordered by `task_order`
 *
 * Producer API:
 * - `POST   /api/producer/project-tasks/:projectId/tasks` `{title, id?, ...fields}` → 201 task
 * - `GET    /api/producer/project-tasks/:projectId/tasks?include_archived=true` → tasks
 * - `PUT    /api/producer/project-tasks/:projectId/tasks/:taskId` `{...fields}` → task
 * - `DELETE /api/producer/project-tasks/:projectId/tasks/:taskId[?archived_by=x]` → archive `{task, subtasks_archived}`;
 *   with `?hard=true` a real delete (`task_deleted`) → the removed task
 * - `POST   /api/producer/project-tasks/:projectId/tasks_updated` `{tasks: [{id, ...fields}]}` → `{project_id, updated_tasks}`
 */
export function tasksRoutes(router: Router, domain: ProjectTasksDomain, store: EntityStore = embeddedStore): void {
  router.post('/api/tasks', async (ctx) => {
    const { project_id, ...input } = parseInput(legacyCreateSchema, ctx.request.body, 'create task');
    ctx.body = { message: 'Task created successfully', task: await store.transact(() => domain.create(project_id, input)) };
  });
  router.get('/api/tasks/:taskId', (ctx) => {
    const task = domain.get(ctx.params.taskId!);
    if (!task || task.archived) throw new SwitchyardError('NOT_FOUND', `Task ${ctx.params.taskId} not found`);
    ctx.body = task;
  });
  router.put('/api/tasks/:taskId', async (ctx) => {
    const changes = parseInput(legacyUpdateSchema, ctx.request.body, 'update task');
    ctx.body = { message: 'Task updated successfully', task: await store.transact(() => domain.update(ctx.params.taskId!, changes)) };
  });
  router.delete('/api/tasks/:taskId', async (ctx) => {
    ctx.body = { message: 'Task archived successfully', ...await store.transact(() => domain.archive(ctx.params.taskId!)) };
  });
  router.get('/api/projects/:projectId/tasks', (ctx) => {
    ctx.body = domain.list(ctx.params.projectId!, { includeArchived: ctx.query.include_archived === 'true' });
  });

  const base = '/api/producer/project-tasks/:projectId';
  router.post(`${base}/tasks`, async (ctx) => {
    ctx.status = 201;
    ctx.body = await store.transact(() => domain.create(ctx.params.projectId!, parseInput(producerCreateSchema, ctx.request.body, 'create task')));
  });
  router.get(`${base}/tasks`, (ctx) => {
    ctx.body = domain.list(ctx.params.projectId!, { includeArchived: ctx.query.include_archived === 'true' });
  });
  router.put(`${base}/tasks/:taskId`, async (ctx) => {
    const taskId = requireInProject(domain, ctx.params.projectId!, ctx.params.taskId!);
    ctx.body = await store.transact(() => domain.update(taskId, parseInput(producerUpdateSchema, ctx.request.body, 'update task')));
  });
  router.delete(`${base}/tasks/:taskId`, async (ctx) => {
    const taskId = requireInProject(domain, ctx.params.projectId!, ctx.params.taskId!);
    const archivedBy = typeof ctx.query.archived_by === 'string' && ctx.query.archived_by !== '' ? ctx.query.archived_by.slice(0, 100) : undefined;
    ctx.body = await store.transact(() => (ctx.query.hard === 'true' ? domain.delete(taskId) : domain.archive(taskId, archivedBy)));
  });
  router.post(`${base}/tasks_updated`, async (ctx) => {
    const projectId = ctx.params.projectId!;
    const { tasks } = parseInput(batchSchema, ctx.request.body, 'tasks_updated');
    ctx.body = { project_id: projectId, updated_tasks: await store.transact(() => domain.updateMany(projectId, tasks)) };
  });
}

function requireInProject(domain: ProjectTasksDomain, projectId: string, taskId: string): string {
  if (domain.get(taskId)?.project_id !== projectId) throw new SwitchyardError('NOT_FOUND', `unknown task ${taskId} in project ${projectId}`);
  return taskId;
}
