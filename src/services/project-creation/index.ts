import type { ServiceContext, ServiceModule } from '../service-module.js';

/** Placeholder until the service is written: not served. */
export const createProjectCreationService: ((ctx: ServiceContext) => ServiceModule) | undefined = undefined;
