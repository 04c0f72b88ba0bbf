import type { LegacyEndpoint, ServiceContext, ServiceModule } from '../service-module.js';
import { mcpLogsDemo } from './demo.js';
import { McpLogsDomain } from './domain.js';
import { mcpLogsHandlers } from './handlers.js';
import { mcpLogsOptionsFromEnv, type McpLogsOptions } from './options.js';
import { mcpLogsRoutes } from './routes.js';

/** Builds the hand-written legacy endpoint (`legacy/mcp-logs.ts`); the registry passes it in, so the service never imports `legacy/`. */
export type LegacyFactory = () => LegacyEndpoint;

/**
 * mcp-logs: the MCP server's log stream on `/api/mcp/logs/stream` (legacy) and
 * `/logs` (Socket.IO). Options default to the environment (see `options.ts`).
 */
export function createMcpLogsService(ctx: ServiceContext, legacy: LegacyFactory, options: McpLogsOptions = mcpLogsOptionsFromEnv()): ServiceModule {
  const domain = new McpLogsDomain(ctx, options);
  return {
    id: 'mcp-logs',
    legacy: legacy(),
    handlers: mcpLogsHandlers(domain, (room) => ctx.hub.head(room)),
    routes: (router) => mcpLogsRoutes(router, domain, ctx.store),
    demo: () => mcpLogsDemo(domain, options.demoIntervalMs),
  };
}
