import { randomUUID } from 'node:crypto';
import { postgresIso, pythonLocalIso } from '../../domain/clock.js';
import { SwitchyardError } from '../../errors/catalogue.js';
import type { ServiceContext } from '../service-module.js';
import { embeddedStore, type EntityMap } from '../../domain/entity-store.js';
import { assertCapacity, assertEntityBytes, ByteBudget, DEFAULT_STORAGE_LIMITS, IdleExpiry, type StorageLimits } from '../storage-limits.js';
import { tasksRoom, type TaskEventName, type TaskRow, type TaskStatus } from './events.js';
import { publisherFor } from '../../domain/publisher.js';
import { projectTasks } from './contract.js';

/** The fields a caller may set on a task (the legacy Create/UpdateTaskRequest, plus the JSON columns). */
export interface TaskChanges {
  title?: string;
  description?: string;
  status?: TaskStatus;
  assignee?: string;
  task_order?: number;
  feature?: string | null;
  parent_task_id?: string | null;
  sources?: unknown[];
  code_examples?: unknown[];
}

export interface TaskInput extends TaskChanges {
  title: string;
  /** Lets a producer choose the id (idempotent imports, tests); a uuid4 otherwise. */
  id?: string;
}

/** Memory bounds of the tasks domain. */
export interface ProjectTasksOptions {
  /** Tasks kept per project, archived ones included; one more is refused (429). Default: `StorageLimits.tasksPerProject`. */
  maxTasksPerProject?: number;
}

/**
 * Tasks per project, as the legacy `tasks` table and `TaskUpdateManager` saw
 * them. Every change is published once to the project's room; the legacy
 * endpoint stamps each frame with the receiving connection's `session_id`.
 *
 * Bounded: projects with tasks in number, tasks per project, each task's JSON
 * in bytes (413, unchanged) and all tasks' bytes together; a project nobody
 * touched (no change, no join) for the idle TTL is forgotten with its room.
 */
export class ProjectTasksDomain {
  readonly #ctx: ServiceContext;
  // Owned here: project id → task id → row (insertion order breaks task_order ties, like created_at).
  readonly #projects: EntityMap<Map<string, TaskRow>>;
  readonly #projectOf: EntityMap<string>;
  readonly #maxTasks: number;
  readonly #limits: StorageLimits;
  readonly #idle: IdleExpiry;
  // Keyed by task id.
  readonly #budget: ByteBudget;

  constructor(ctx: ServiceContext, options: ProjectTasksOptions = {}) {
    this.#ctx = ctx;
    this.#limits = ctx.storage ?? DEFAULT_STORAGE_LIMITS;
    this.#maxTasks = options.maxTasksPerProject ?? this.#limits.tasksPerProject;
    this.#idle = new IdleExpiry(this.#limits.idleTtlMs, ctx.clock, (projectId) => this.#forgetProject(projectId));
    this.#budget = new ByteBudget(this.#limits.serviceBytes, 'tasks');
    const store = ctx.store ?? embeddedStore;
    this.#projects = store.map('project-tasks');
    this.#projectOf = store.map('project-tasks-index');
    store.onRemoteChange('project-tasks', (projectId) => {
      if (this.#projects.has(projectId)) this.#idle.touch(projectId);
    });
  }

  /** Projects with tasks, for tests and metrics. */
  get size(): number {
    return this.#projects.size;
  }

  close(): void {
    this.#idle.close();
  }

  /** A project's tasks ordered by `task_order` (copies); archived ones only when asked. */
  list(projectId: string, options: { includeArchived?: boolean } = {}): TaskRow[] {
    // Read when a client joins: a project people open is in use.
    if (this.#projects.has(projectId)) this.#idle.touch(projectId);
    const rows = [...(this.#projects.get(projectId)?.values() ?? [])];
    return rows
      .filter((row) => options.includeArchived === true || !row.archived)
      .sort((a, b) => a.task_order - b.task_order)
      .map((row) => structuredClone(row));
  }

  get(taskId: string): TaskRow | undefined {
    const row = this.#find(taskId);
    return row && structuredClone(row);
  }

  /** Insert a task (legacy `POST /api/tasks`) and publish `task_created`. */
  create(projectId: string, input: TaskInput): TaskRow {
    const id = input.id ?? randomUUID();
    if (this.#projectOf.has(id)) throw new SwitchyardError('INVALID_PAYLOAD', `task ${id} already exists`);
    let tasks = this.#projects.get(projectId);
    if (tasks) assertCapacity(tasks.size, this.#maxTasks, `tasks of project ${projectId}`);
    else assertCapacity(this.#projects.size, this.#limits.maxEntities, 'projects with tasks');
    const now = postgresIso(this.#ctx.clock());
    const row: TaskRow = {
      id,
      project_id: projectId,
      parent_task_id: input.parent_task_id ?? null,
      title: input.title,
      description: input.description ?? '',
      status: input.status ?? 'todo',
      assignee: input.assignee ?? 'User',
      task_order: input.task_order ?? 0,
      feature: input.feature ?? null,
      sources: input.sources ?? [],
      code_examples: input.code_examples ?? [],
      archived: false,
      archived_at: null,
      archived_by: null,
      created_at: now,
      updated_at: now,
    };
    this.#account(row);
    if (!tasks) {
      tasks = new Map();
      this.#projects.set(projectId, tasks);
    }
    tasks.set(id, row);
    this.#idle.touch(projectId);
    this.#projectOf.set(id, projectId);
    this.#publishTask('task_created', row);
    return structuredClone(row);
  }

  /** Change fields of a task (legacy `PUT /api/tasks/:id`) and publish `task_updated`. */
  update(taskId: string, changes: TaskChanges): TaskRow {
    const row = this.#require(taskId);
    this.#apply(row, changes);
    this.#idle.touch(row.project_id);
    this.#publishTask('task_updated', row);
    return structuredClone(row);
  }

  /**
   * Archive a task and its subtasks (legacy `DELETE /api/tasks/:id`). The
   * legacy route wrote `datetime.now().isoformat()` into `archived_at` and
   * `updated_at`, so those are naive local times, unlike the other columns.
   * Subtasks were archived silently; the change detector then reported them,
   * so they go out as one `tasks_updated`.
   */
  archive(taskId: string, archivedBy = 'api'): { task: TaskRow; subtasks_archived: number } {
    const row = this.#require(taskId);
    if (row.archived) throw new SwitchyardError('NOT_FOUND', `task ${taskId} is already archived`);
    const now = pythonLocalIso(this.#ctx.clock());
    const stamp = (target: TaskRow): void => {
      target.archived = true;
      target.archived_at = now;
      target.archived_by = archivedBy;
      target.updated_at = now;
    };
    stamp(row);
    this.#idle.touch(row.project_id);
    this.#publishTask('task_archived', row);
    const subtasks = [...this.#projects.get(row.project_id)!.values()].filter((t) => t.parent_task_id === taskId && !t.archived);
    for (const subtask of subtasks) stamp(subtask);
    if (subtasks.length > 0) this.#publishBatch(row.project_id, subtasks);
    return { task: structuredClone(row), subtasks_archived: subtasks.length };
  }

  /** Remove a task for good and publish `task_deleted` (no legacy route did this). */
  delete(taskId: string): TaskRow {
    const row = this.#require(taskId);
    const tasks = this.#projects.get(row.project_id)!;
    tasks.delete(taskId);
    if (tasks.size === 0) {
      this.#projects.delete(row.project_id);
      this.#idle.forget(row.project_id);
    } else {
      this.#idle.touch(row.project_id);
    }
    this.#projectOf.delete(taskId);
    this.#budget.delete(taskId);
    this.#publishTask('task_deleted', row);
    return row;
  }

  /** Change several tasks of one project at once (all or nothing) and publish one `tasks_updated`. */
  updateMany(projectId: string, updates: ReadonlyArray<TaskChanges & { id: string }>): TaskRow[] {
    const rows = updates.map((update) => {
      const row = this.#require(update.id);
      if (row.project_id !== projectId) throw new SwitchyardError('NOT_FOUND', `task ${update.id} is not in project ${projectId}`);
      return row;
    });
    // All or nothing: every change is sized before any is applied.
    const drafts = updates.map((update, i) => {
      const { id: _id, ...changes } = update;
      return this.#draft(rows[i]!, changes);
    });
    drafts.forEach((draft, i) => this.#commit(rows[i]!, draft));
    this.#idle.touch(projectId);
    this.#publishBatch(projectId, rows);
    return rows.map((row) => structuredClone(row));
  }

  /** Apply changes in place, once sized: an oversized result is refused (413) and changes nothing. */
  #apply(row: TaskRow, changes: TaskChanges): void {
    this.#commit(row, this.#draft(row, changes));
  }

  /** The row with the changes applied, sized and checked against the limits; the row itself is untouched. */
  #draft(row: TaskRow, changes: TaskChanges): { next: TaskRow; bytes: number } {
    const next = { ...row };
    for (const [key, value] of Object.entries(changes) as Array<[keyof TaskChanges, unknown]>) {
      if (value !== undefined) Object.assign(next, { [key]: value });
    }
    next.updated_at = postgresIso(this.#ctx.clock());
    const bytes = assertEntityBytes(next, this.#limits.entityBytes, `task ${row.id}`);
    this.#budget.check(row.id, bytes);
    return { next, bytes };
  }

  #commit(row: TaskRow, draft: { next: TaskRow; bytes: number }): void {
    // Assignment keeps each column in its place, so the wire order never moves.
    Object.assign(row, draft.next);
    this.#budget.set(row.id, draft.bytes);
  }

  /** Size a new row against the limits (413 / 429) and record it. */
  #account(row: TaskRow): void {
    const bytes = assertEntityBytes(row, this.#limits.entityBytes, `task ${row.id}`);
    this.#budget.check(row.id, bytes);
    this.#budget.set(row.id, bytes);
  }

  /** Idle for the TTL: the project's tasks and room are forgotten. */
  #forgetProject(projectId: string): void {
    const tasks = this.#projects.get(projectId);
    if (!tasks) return;
    for (const taskId of tasks.keys()) {
      this.#projectOf.delete(taskId);
      this.#budget.delete(taskId);
    }
    this.#projects.delete(projectId);
    this.#ctx.hub.dropRoom(tasksRoom(projectId));
  }

  #publishTask(event: TaskEventName, row: TaskRow): void {
    const payload = { project_id: row.project_id, task: structuredClone(row), timestamp: pythonLocalIso(this.#ctx.clock()) };
    publisherFor(this.#ctx.hub, projectTasks).publish(tasksRoom(row.project_id), event, payload);
  }

  #publishBatch(projectId: string, rows: readonly TaskRow[]): void {
    const payload = { project_id: projectId, updated_tasks: rows.map((row) => structuredClone(row)), timestamp: pythonLocalIso(this.#ctx.clock()) };
    publisherFor(this.#ctx.hub, projectTasks).publish(tasksRoom(projectId), 'tasks_updated', payload);
  }

  #find(taskId: string): TaskRow | undefined {
    const projectId = this.#projectOf.get(taskId);
    return projectId === undefined ? undefined : this.#projects.get(projectId)?.get(taskId);
  }

  #require(taskId: string): TaskRow {
    const row = this.#find(taskId);
    if (!row) throw new SwitchyardError('NOT_FOUND', `unknown task ${taskId}`);
    return row;
  }
}
