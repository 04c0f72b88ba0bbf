import type { LegacyEndpoint, ServiceContext, ServiceModule } from '../service-module.js';
import { projectCreationDemo } from './demo.js';
import { ProjectCreationDomain } from './domain.js';
import { CreationFlows } from './flow.js';
import { projectCreationHandlers } from './handlers.js';
import { ProjectStore } from './projects.js';
import { projectListRoutes } from './projects-routes.js';
import { projectCreationRoutes } from './routes.js';

/** Builds the hand-written legacy endpoints (`legacy/project-creation.ts`, `legacy/projects-list.ts`); the registry passes them in, so the service never imports `legacy/`. */
export interface LegacyFactories {
  creation(domain: ProjectCreationDomain): LegacyEndpoint;
  list(projects: ProjectStore): LegacyEndpoint;
}

/**
 * project-creation: creation progress on `/api/project-creation-progress/:progress_id`
 * and `/project`, plus the project store and its legacy-only list stream
 * `/api/projects/stream` (legacy.md §7, §9).
 */
export function createProjectCreationService(ctx: ServiceContext, legacy: LegacyFactories): ServiceModule {
  const domain = new ProjectCreationDomain(ctx);
  const projects = new ProjectStore(ctx);
  const flows = new CreationFlows(domain, projects);
  return {
    id: 'project-creation',
    legacy: legacy.creation(domain),
    handlers: projectCreationHandlers(domain, projects, (room) => ctx.hub.head(room)),
    routes: (router) => {
      projectCreationRoutes(router, domain, flows, ctx.store);
      projectListRoutes(router, projects, ctx.store);
    },
    demo: () => projectCreationDemo(flows),
    close: () => {
      flows.close();
      domain.close();
    },
    extraLegacyEndpoints: [
      {
        name: 'projects-list',
        path: '/api/projects/stream',
        endpoint: legacy.list(projects),
        // legacy.md §9: a heartbeat every 5 s, whatever the client does.
        heartbeat: { intervalMs: 5000, frame: '{"type":"heartbeat"}' },
      },
    ],
  };
}
