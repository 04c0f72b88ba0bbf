import { projectTasksLegacy } from '../../../legacy/project-tasks.js';
import type { ServiceContext, ServiceModule } from '../service-module.js';
import { tasksDemo } from './demo.js';
import { ProjectTasksDomain, type ProjectTasksOptions } from './domain.js';
import { tasksHandlers } from './handlers.js';
import { tasksRoutes } from './routes.js';

/** project-tasks: task rows per project, the legacy endpoint (per-session frames) and `/tasks`. */
export function createProjectTasksService(ctx: ServiceContext, options: ProjectTasksOptions = {}): ServiceModule {
  const domain = new ProjectTasksDomain(ctx, options);
  return {
    id: 'project-tasks',
    legacy: projectTasksLegacy(domain, ctx.clock),
    handlers: tasksHandlers(domain, (room) => ctx.hub.head(room), ctx.clock),
    routes: (router) => tasksRoutes(router, domain),
    demo: () => tasksDemo(domain),
    close: () => domain.close(),
  };
}
