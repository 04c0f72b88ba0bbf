import type { ServiceContext, ServiceModule } from '../service-module.js';

/** Placeholder until the service is written: not served. */
export const createAgentChatService: ((ctx: ServiceContext) => ServiceModule) | undefined = undefined;
