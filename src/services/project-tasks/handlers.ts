import { z } from 'zod';
import { pythonLocalIso } from '../../domain/clock.js';
import type { Clock } from '../../domain/clock.js';
import type { EventHandler } from '../service-module.js';
import { joinRoom } from '../join-room.js';
import { parseInput } from '../validate.js';
import type { ProjectTasksDomain } from './domain.js';
import { tasksRoom } from './events.js';

const projectId = z.string().min(1).max(200);
const joinSchema = z.strictObject({ project_id: projectId, since: z.number().int().nonnegative().optional() });
const leaveSchema = z.strictObject({ project_id: projectId });

/** Socket.IO handlers of `/tasks` (also serve legacy clients through the adapter). */
export function tasksHandlers(domain: ProjectTasksDomain, head: (room: string) => number, clock: Clock): Record<string, EventHandler> {
  return {
    join_project(client, payload) {
      // Any project id is accepted: an unknown project simply has no tasks yet (legacy.md §4).
      // `since` (resume) is the bridge's business: it replays missed events instead of this snapshot.
      const { project_id } = parseInput(joinSchema, payload, 'join_project');
      const room = tasksRoom(project_id);
      const ack = joinRoom(client, room, head(room), [['initial_tasks', { project_id, tasks: domain.list(project_id) }]]);
      // `timestamp` is the join time: the legacy `connection_established` frame carries it.
      return { ...ack, project_id, timestamp: pythonLocalIso(clock()) };
    },
    leave_project(client, payload) {
      const { project_id } = parseInput(leaveSchema, payload, 'leave_project');
      client.leave(tasksRoom(project_id));
      return { ok: true };
    },
  };
}
