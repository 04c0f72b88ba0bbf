import { z } from 'zod';
import type { EventHandler } from '../service-module.js';
import { joinRoom } from '../join-room.js';
import { parseInput } from '../validate.js';
import type { ProjectCreationDomain } from './domain.js';
import { creationRoom, PROJECT_LIST_ROOM, waitingProgress } from './events.js';
import type { ProjectStore } from './projects.js';

const since = z.number().int().nonnegative().optional();
const subscribeProgressSchema = z.strictObject({ progress_id: z.string().min(1).max(200), since });
const unsubscribeProgressSchema = z.strictObject({ progress_id: z.string().min(1).max(200) });
// The list events carry no entity: a bare `emit('subscribe_projects', ack)` is fine too.
const subscribeProjectsSchema = z.strictObject({ since }).optional();
const unsubscribeProjectsSchema = z.strictObject({}).optional();

/** Socket.IO handlers of `/project` (the progress ones also serve legacy clients through the adapter). */
export function projectCreationHandlers(domain: ProjectCreationDomain, projects: ProjectStore, head: (room: string) => number): Record<string, EventHandler> {
  return {
    subscribe_progress(client, payload) {
      const { progress_id } = parseInput(subscribeProgressSchema, payload, 'subscribe_progress');
      const room = creationRoom(progress_id);
      return joinRoom(client, room, head(room), [
      // Always `project_progress`, whatever the status: the legacy snapshot on connect never switched type.
        ['project_progress', { ...(domain.get(progress_id) ?? waitingProgress(progress_id)) }],
      ]);
    },
    unsubscribe_progress(client, payload) {
      const { progress_id } = parseInput(unsubscribeProgressSchema, payload, 'unsubscribe_progress');
      client.leave(creationRoom(progress_id));
      return { ok: true };
    },
    subscribe_projects(client, payload) {
      parseInput(subscribeProjectsSchema, payload, 'subscribe_projects');
      return joinRoom(client, PROJECT_LIST_ROOM, head(PROJECT_LIST_ROOM), [['projects_update', { projects: projects.list() }]]);
    },
    unsubscribe_projects(client, payload) {
      parseInput(unsubscribeProjectsSchema, payload, 'unsubscribe_projects');
      client.leave(PROJECT_LIST_ROOM);
      return { ok: true };
    },
  };
}
