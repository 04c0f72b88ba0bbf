import plan from '../../../migrations-plan/project-creation.json' with { type: 'json' };
import { defineService } from '../../contract/define.js';
import type { ProjectClientToServerEvents, ProjectServerToClientEvents } from './events.js';

/** project-creation's contract: browser-safe (types and the bundled plan only). */
export const projectCreation = defineService<ProjectServerToClientEvents, ProjectClientToServerEvents>()({
  id: 'project-creation',
  plan,
  join: 'subscribe_progress',
  room: ({ progress_id }: { progress_id: string }) => `project_creation_${progress_id}`,
});
