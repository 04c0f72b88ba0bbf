import plan from '../../../migrations-plan/project-tasks.json' with { type: 'json' };
import { defineService } from '../../contract/define.js';
import type { TasksClientToServerEvents, TasksServerToClientEvents } from './events.js';

/** project-tasks's contract: browser-safe (types and the bundled plan only). */
export const projectTasks = defineService<TasksServerToClientEvents, TasksClientToServerEvents>()({
  id: 'project-tasks',
  plan,
  join: 'join_project',
  room: ({ project_id }: { project_id: string }) => `tasks_${project_id}`,
});
