/**
 * Legacy endpoint `/api/project-creation-progress/{progress_id}` (legacy.md §7),
 * as the original `websocket_project_creation_progress` served it:
 * - on connect: the tracked state as `project_progress` (always that type,
 *   whatever the status), or `connection_established` with status `waiting`;
 * - live: the whole state, typed by its status like `_broadcast_progress`:
 *   `project_completed` for `completed`, `project_error` for `error`, else
 *   `project_progress` (the default flow never leaves `starting`);
 * - `{"type":"ping"}` every second comes from the plan; the server never reads.
 */
import type { ProjectCreationDomain } from '../src/services/project-creation/domain.js';
import { creationRoom, progressEvent, waitingProgress } from '../src/services/project-creation/events.js';
import type { LegacyEndpoint } from '../src/services/service-module.js';
import { encodeFrame } from './wire.js';

function progressFrame(type: string, payload: Readonly<Record<string, unknown>>): string {
  const { seq: _seq, ...data } = payload;
  if (data.status === 'waiting') {
    return encodeFrame({ type: 'connection_established', data: { progressId: data.progressId, status: 'waiting' } });
  }
  return encodeFrame({ type, data });
}

export function projectCreationLegacy(domain: ProjectCreationDomain): LegacyEndpoint {
  return {
    open({ params }) {
      const progressId = params.progress_id!;
      const state = domain.get(progressId) ?? waitingProgress(progressId);
      return { rooms: [creationRoom(progressId)], frames: [progressFrame('project_progress', state)] };
    },
    encode(event) {
      const { status } = event.payload;
      if (!['project_progress', 'project_completed', 'project_error'].includes(event.event)) return [];
      return [progressFrame(progressEvent(typeof status === 'string' ? status : ''), event.payload)];
    },
  };
}
