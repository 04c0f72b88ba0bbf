import { agentChatLegacy } from '../../../legacy/agent-chat.js';
import type { ServiceContext, ServiceModule } from '../service-module.js';
import { chatDemo } from './demo.js';
import { AgentChatDomain, type AgentChatOptions } from './domain.js';
import { chatHandlers } from './handlers.js';
import { chatRoutes } from './routes.js';

/** agent-chat: sessions with bounded history, idempotent sends, the legacy endpoint and `/chat`. */
export function createAgentChatService(ctx: ServiceContext, options: AgentChatOptions = {}): ServiceModule {
  const domain = new AgentChatDomain(ctx, options);
  return {
    id: 'agent-chat',
    legacy: agentChatLegacy(domain),
    handlers: chatHandlers(domain, (room) => ctx.hub.head(room)),
    routes: (router) => chatRoutes(router, domain),
    demo: () => chatDemo(domain),
    close: () => domain.close(),
  };
}
