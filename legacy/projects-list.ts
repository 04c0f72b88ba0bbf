/**
 * Legacy endpoint `/api/projects/stream` (legacy.md §9): not one of the seven
 * plan services, so it has no plan and is always served by this hand-written
 * endpoint (never switched to the adapter).
 * - on connect and after every project create/update/delete:
 *   `projects_update {projects, total}`, the projects without `description`
 *   (nor `color`/`icon`), newest first;
 * - `{"type":"heartbeat"}` every 5 s (declared by the project-creation
 *   module's `extraLegacyEndpoints`); the server never reads.
 */
import type { ProjectListItem, ProjectRecord } from '../src/services/project-creation/events.js';
import { PROJECT_LIST_ROOM } from '../src/services/project-creation/events.js';
import type { ProjectStore } from '../src/services/project-creation/projects.js';
import type { LegacyEndpoint } from '../src/services/service-module.js';
import { encodeFrame } from './wire.js';

/** One project as the legacy list stream sent it, in its key order. */
export function projectListItem(project: ProjectRecord): ProjectListItem {
  return {
    id: project.id,
    title: project.title,
    github_repo: project.github_repo,
    created_at: project.created_at,
    updated_at: project.updated_at,
    prd: project.prd,
    docs: project.docs,
    features: project.features,
    data: project.data,
    technical_sources: project.technical_sources,
    business_sources: project.business_sources,
    pinned: project.pinned,
  };
}

function listFrame(projects: readonly ProjectRecord[]): string {
  const items = projects.map(projectListItem);
  return encodeFrame({ type: 'projects_update', data: { projects: items, total: items.length } });
}

export function projectsListLegacy(projects: ProjectStore): LegacyEndpoint {
  return {
    open() {
      return { rooms: [PROJECT_LIST_ROOM], frames: [listFrame(projects.list())] };
    },
    encode(event) {
      if (event.event !== 'projects_update' || !Array.isArray(event.payload.projects)) return [];
      return [listFrame(event.payload.projects as ProjectRecord[])];
    },
  };
}
