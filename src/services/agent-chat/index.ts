import type { LegacyEndpoint, ServiceContext, ServiceModule } from '../service-module.js';
import { chatDemo } from './demo.js';
import { AgentChatDomain, type AgentChatOptions } from './domain.js';
import { chatHandlers } from './handlers.js';
import { chatRoutes } from './routes.js';

/** Builds the hand-written legacy endpoint (`legacy/agent-chat.ts`); the registry passes it in, so the service never imports `legacy/`. */
export type LegacyFactory = (domain: AgentChatDomain) => LegacyEndpoint;

/** agent-chat: sessions with bounded history, idempotent sends, the legacy endpoint and `/chat`. */
export function createAgentChatService(ctx: ServiceContext, legacy: LegacyFactory, options: AgentChatOptions = {}): ServiceModule {
  const domain = new AgentChatDomain(ctx, options);
  return {
    id: 'agent-chat',
    legacy: legacy(domain),
    handlers: chatHandlers(domain, (room) => ctx.hub.head(room), ctx.store),
    routes: (router) => chatRoutes(router, domain, ctx.store),
    demo: () => chatDemo(domain),
    close: () => domain.close(),
  };
}
