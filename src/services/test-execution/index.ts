import { testExecutionLegacy } from '../../../legacy/test-execution.js';
import type { ServiceContext, ServiceModule } from '../service-module.js';
import { testExecutionDemo } from './demo.js';
import { TestExecutionDomain } from './domain.js';
import { testExecutionHandlers } from './handlers.js';
import { testExecutionLegacyRoutes } from './legacy-routes.js';
import { testExecutionOptionsFromEnv, type TestExecutionOptions } from './options.js';
import { testExecutionRoutes } from './routes.js';

/**
 * test-execution: streamed test-run output on `/api/tests/stream/:execution_id`
 * (legacy) and `/tests` (Socket.IO). Options default to the environment (see `options.ts`).
 */
export function createTestExecutionService(ctx: ServiceContext, options: TestExecutionOptions = testExecutionOptionsFromEnv()): ServiceModule {
  const domain = new TestExecutionDomain(ctx, options);
  return {
    id: 'test-execution',
    legacy: testExecutionLegacy(domain),
    handlers: testExecutionHandlers(domain, (room) => ctx.hub.head(room)),
    routes: (router) => {
      testExecutionRoutes(router, domain);
      testExecutionLegacyRoutes(router, domain);
    },
    demo: () => testExecutionDemo(domain, options.demoIntervalMs, options.demoLineMs),
    close: () => domain.close(),
  };
}
