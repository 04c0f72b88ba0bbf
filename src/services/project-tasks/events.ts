/**
 * project-tasks: the event maps both the server and the SDK import.
 * Room: `tasks_<project_id>`; namespace `/tasks`.
 */
import { projectTasks } from './contract.js';

export const TASK_STATUSES = ['todo', 'doing', 'review', 'done'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/**
 * A task row with the columns in table-definition order (`migration/2_archon_projects.sql`,
 * as PostgREST returned them). Key order matters on the legacy wire.
 */
export interface TaskRow {
  id: string;
  project_id: string;
  parent_task_id: string | null;
  title: string;
  description: string;
  status: TaskStatus;
  assignee: string;
  task_order: number;
  feature: string | null;
  sources: unknown[];
  code_examples: unknown[];
  archived: boolean;
  archived_at: string | null;
  archived_by: string | null;
  created_at: string;
  updated_at: string;
}

/** The column order of `TaskRow`, for building rows and for tests. */
export const TASK_COLUMNS = [
  'id', 'project_id', 'parent_task_id', 'title', 'description', 'status', 'assignee', 'task_order',
  'feature', 'sources', 'code_examples', 'archived', 'archived_at', 'archived_by', 'created_at', 'updated_at',
] as const satisfies ReadonlyArray<keyof TaskRow>;

/** Events about one task; `timestamp` is the server's naive local isoformat. */
export const TASK_EVENTS = ['task_created', 'task_updated', 'task_archived', 'task_deleted'] as const;
export type TaskEventName = (typeof TASK_EVENTS)[number];

export interface TaskEventPayload {
  project_id: string;
  task: TaskRow;
  timestamp: string;
}

export interface TasksUpdatedPayload {
  project_id: string;
  updated_tasks: TaskRow[];
  timestamp: string;
}

export interface TasksClientToServerEvents {
  /** Join a project's room: `initial_tasks` follows at once, then the ack (with the join `timestamp`). */
  join_project(payload: { project_id: string; since?: number }, ack: (result: unknown) => void): void;
  /** Leave a project's room. */
  leave_project(payload: { project_id: string }, ack: (result: unknown) => void): void;
}

export interface TasksServerToClientEvents {
  /** The project's non-archived tasks, ordered by `task_order`, to the joining client only. */
  initial_tasks(payload: { project_id: string; tasks: TaskRow[]; seq: number }): void;
  task_created(payload: TaskEventPayload & { seq: number }): void;
  task_updated(payload: TaskEventPayload & { seq: number }): void;
  /** `task.archived` is true; the row stays out of later `initial_tasks`. */
  task_archived(payload: TaskEventPayload & { seq: number }): void;
  /** A hard delete (the producer API's `?hard=true`); the legacy server never had one. */
  task_deleted(payload: TaskEventPayload & { seq: number }): void;
  /** Several rows changed at once (the legacy change detector's batch). */
  tasks_updated(payload: TasksUpdatedPayload & { seq: number }): void;
}

/** Legacy frames of `/api/projects/:project_id/tasks/ws?session_id=…`; `session_id` is the receiving connection's. */
export type TasksLegacyFrame =
  | { type: 'initial_tasks'; data: { project_id: string; session_id: string; tasks: TaskRow[] } }
  | { type: 'connection_established'; data: { project_id: string; session_id: string; message: string }; timestamp: string }
  | { type: TaskEventName; data: TaskRow; timestamp: string; project_id: string; session_id: string }
  | { type: 'tasks_updated'; data: TasksUpdatedPayload }
  | { type: 'heartbeat'; session_id: string }
  | { type: 'pong'; session_id: string };

/** The room function of the contract (`./contract.ts`), the one definition of the room name. */
export const tasksRoom = (projectId: string): string => projectTasks.room({ project_id: projectId });

/** The text of the legacy `connection_established` frame. */
export const CONNECTED_MESSAGE = 'Connected to task updates with session-based MCP change detection';
