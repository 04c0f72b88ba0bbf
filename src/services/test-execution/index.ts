import type { ServiceContext, ServiceModule } from '../service-module.js';

/** Placeholder until the service is written: not served. */
export const createTestExecutionService: ((ctx: ServiceContext) => ServiceModule) | undefined = undefined;
