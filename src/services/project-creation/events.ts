/**
 * project-creation: the event maps both the server and the SDK import.
 * Namespace `/project`. Rooms: `project_creation_<progress_id>` for one
 * creation's progress, `project_list` for the project list (legacy.md §7, §9).
 */
import { projectCreation } from './contract.js';

/** A project row, in the legacy table's column order (legacy-frames.json, the final creation frame). */
export interface ProjectRecord {
  id: string;
  title: string;
  description: string;
  github_repo: string | null;
  created_at: string;
  updated_at: string;
  prd: Record<string, unknown>;
  docs: unknown[];
  features: Record<string, unknown>;
  data: Record<string, unknown>;
  pinned: boolean;
  color: string;
  icon: string;
  technical_sources: string[];
  business_sources: string[];
}

/**
 * One creation's accumulated state, flat, in the legacy
 * `ProjectCreationProgressManager` key order: status, percentage, start_time,
 * logs, step, title, description, github_repo, then keys in the order updates
 * first set them (`log`, `project_id`, `project`, `error`, `duration`…).
 * `progressId` is not part of it: the legacy server appended it at send time,
 * so it is always the last key on the wire (see `ProjectProgress`).
 */
export interface ProjectCreationState {
  status: string;
  percentage: number;
  start_time: string;
  /** The last 50 log lines. */
  logs: string[];
  step: string;
  title: string;
  description: string;
  github_repo: string | null;
  log?: string;
  project_id?: string;
  project?: ProjectRecord;
  error?: string;
  duration?: string;
  [extra: string]: unknown;
}

/** What is sent: the state with `progressId` last. */
export type ProjectProgress = ProjectCreationState & { progressId: string };

/** The state sent for a creation nobody is tracking (legacy `connection_established`). */
export interface WaitingProgress {
  progressId: string;
  status: 'waiting';
  [extra: string]: unknown;
}

export interface ProjectClientToServerEvents {
  /** Join a creation's room: a `project_progress` snapshot (or the waiting state) follows at once. */
  subscribe_progress(payload: { progress_id: string; since?: number }, ack: (result: unknown) => void): void;
  /** Leave a creation's room. */
  unsubscribe_progress(payload: { progress_id: string }, ack: (result: unknown) => void): void;
  /** Join the project list: a `projects_update` snapshot follows at once. */
  subscribe_projects(payload: { since?: number } | undefined, ack: (result: unknown) => void): void;
  /** Leave the project list. */
  unsubscribe_projects(payload: Record<string, never> | undefined, ack: (result: unknown) => void): void;
}

export interface ProjectServerToClientEvents {
  /** The whole creation state after each change (also the snapshot on subscribe, whatever its status). */
  project_progress(payload: (ProjectProgress | WaitingProgress) & { seq: number }): void;
  /** The creation was completed explicitly (`status: "completed"`, `step: "finished"`, `duration`). */
  project_completed(payload: ProjectProgress & { seq: number }): void;
  /** The creation failed explicitly (`status: "error"`, `error`). */
  project_error(payload: ProjectProgress & { seq: number }): void;
  /** The whole project list (newest first) on subscribe and after every create/update/delete. */
  projects_update(payload: { projects: ProjectRecord[]; seq: number }): void;
}

/** Legacy frames of `/api/project-creation-progress/:progress_id`. */
export type ProjectCreationLegacyFrame =
  | { type: 'connection_established'; data: { progressId: string; status: 'waiting' } }
  | { type: 'project_progress'; data: ProjectProgress }
  | { type: 'project_completed'; data: ProjectProgress }
  | { type: 'project_error'; data: ProjectProgress }
  | { type: 'ping' };

/**
 * A project as the legacy list stream sent it: no description, color or icon
 * (the wire's key order is the encoder's business, not the type's).
 */
export type ProjectListItem = Omit<ProjectRecord, 'description' | 'color' | 'icon'>;

/** Legacy frames of `/api/projects/stream`. */
export type ProjectsListLegacyFrame =
  | { type: 'projects_update'; data: { projects: ProjectListItem[]; total: number } }
  | { type: 'heartbeat' };

/** The room function of the contract (`./contract.ts`), the one definition of the room name. */
export const creationRoom = (progressId: string): string => projectCreation.room({ progress_id: progressId });

/** The one room of the project list (legacy.md §9, Phase B's name). */
export const PROJECT_LIST_ROOM = 'project_list';

export function waitingProgress(progressId: string): WaitingProgress {
  return { progressId, status: 'waiting' };
}

/**
 * The event a state is published as: like the legacy `_broadcast_progress`,
 * the status decides (legacy.md §7).
 */
export function progressEvent(status: string): 'project_progress' | 'project_completed' | 'project_error' {
  if (status === 'completed') return 'project_completed';
  if (status === 'error') return 'project_error';
  return 'project_progress';
}
