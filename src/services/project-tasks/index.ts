import type { Clock } from '../../domain/clock.js';
import type { LegacyEndpoint, ServiceContext, ServiceModule } from '../service-module.js';
import { tasksDemo } from './demo.js';
import { ProjectTasksDomain, type ProjectTasksOptions } from './domain.js';
import { tasksHandlers } from './handlers.js';
import { tasksRoutes } from './routes.js';

/** Builds the hand-written legacy endpoint (`legacy/project-tasks.ts`); the registry passes it in, so the service never imports `legacy/`. */
export type LegacyFactory = (domain: ProjectTasksDomain, clock: Clock) => LegacyEndpoint;

/** project-tasks: task rows per project, the legacy endpoint (per-session frames) and `/tasks`. */
export function createProjectTasksService(ctx: ServiceContext, legacy: LegacyFactory, options: ProjectTasksOptions = {}): ServiceModule {
  const domain = new ProjectTasksDomain(ctx, options);
  return {
    id: 'project-tasks',
    legacy: legacy(domain, ctx.clock),
    handlers: tasksHandlers(domain, (room) => ctx.hub.head(room), ctx.clock),
    routes: (router) => tasksRoutes(router, domain, ctx.store),
    demo: () => tasksDemo(domain),
    close: () => domain.close(),
  };
}
