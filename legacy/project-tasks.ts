/**
 * Legacy endpoint `/api/projects/{project_id}/tasks/ws?session_id=…` (legacy.md
 * §4), as the original `task_updates_websocket` served it:
 * - `session_id` from the query, a uuid4 when missing (the plan's defaults);
 * - on connect: `initial_tasks` (non-archived, by `task_order`), then
 *   `connection_established` with a top-level timestamp;
 * - live: `task_*` frames `{type, data: row, timestamp, project_id, session_id}`
 *   where `session_id` is the RECEIVING connection's (one frame per session);
 *   `tasks_updated` `{type, data: {project_id, updated_tasks, timestamp}}`;
 * - heartbeat and pong carry the `session_id` and come from the plan.
 */
import { pythonLocalIso, type Clock } from '../src/domain/clock.js';
import type { ProjectTasksDomain } from '../src/services/project-tasks/domain.js';
import {
  CONNECTED_MESSAGE, TASK_EVENTS, tasksRoom,
  type TaskEventName, type TaskRow, type TasksLegacyFrame, type TasksUpdatedPayload,
} from '../src/services/project-tasks/events.js';
import type { LegacyEndpoint } from '../src/services/service-module.js';
import { encodeFrame } from './wire.js';

function frame(value: TasksLegacyFrame): string {
  return encodeFrame(value);
}

function isTaskEvent(event: string): event is TaskEventName {
  return (TASK_EVENTS as readonly string[]).includes(event);
}

export function projectTasksLegacy(domain: ProjectTasksDomain, clock: Clock): LegacyEndpoint {
  return {
    encodingParams: ['session_id'],
    open({ params }) {
      const projectId = params.project_id!;
      const sessionId = params.session_id!;
      return {
        rooms: [tasksRoom(projectId)],
        frames: [
          frame({ type: 'initial_tasks', data: { project_id: projectId, session_id: sessionId, tasks: domain.list(projectId) } }),
          frame({
            type: 'connection_established',
            data: { project_id: projectId, session_id: sessionId, message: CONNECTED_MESSAGE },
            timestamp: pythonLocalIso(clock()),
          }),
        ],
      };
    },
    encode(event, { params }) {
      const payload = event.payload;
      if (isTaskEvent(event.event)) {
        return [frame({
          type: event.event,
          data: payload.task as TaskRow,
          timestamp: payload.timestamp as string,
          project_id: payload.project_id as string,
          session_id: params.session_id!,
        })];
      }
      if (event.event === 'tasks_updated') {
        const { project_id, updated_tasks, timestamp } = payload as unknown as TasksUpdatedPayload;
        return [frame({ type: 'tasks_updated', data: { project_id, updated_tasks, timestamp } })];
      }
      return [];
    },
  };
}
