import type { LegacyEndpoint, ServiceContext, ServiceModule } from '../service-module.js';
import { testExecutionDemo } from './demo.js';
import { TestExecutionDomain } from './domain.js';
import { testExecutionHandlers } from './handlers.js';
import { testExecutionLegacyRoutes } from './legacy-routes.js';
import { testExecutionOptionsFromEnv, type TestExecutionOptions } from './options.js';
import { testExecutionRoutes } from './routes.js';

/** Builds the hand-written legacy endpoint (`legacy/test-execution.ts`); the registry passes it in, so the service never imports `legacy/`. */
export type LegacyFactory = (domain: TestExecutionDomain) => LegacyEndpoint;

/**
 * test-execution: streamed test-run output on `/api/tests/stream/:execution_id`
 * (legacy) and `/tests` (Socket.IO). Options default to the environment (see `options.ts`).
 */
export function createTestExecutionService(ctx: ServiceContext, legacy: LegacyFactory, options: TestExecutionOptions = testExecutionOptionsFromEnv()): ServiceModule {
  const domain = new TestExecutionDomain(ctx, options);
  return {
    id: 'test-execution',
    legacy: legacy(domain),
    handlers: testExecutionHandlers(domain, (room) => ctx.hub.head(room)),
    routes: (router) => {
      testExecutionRoutes(router, domain, ctx.store);
      testExecutionLegacyRoutes(router, domain, ctx.store);
    },
    demo: () => testExecutionDemo(domain, options.demoIntervalMs, options.demoLineMs),
    close: () => domain.close(),
  };
}
