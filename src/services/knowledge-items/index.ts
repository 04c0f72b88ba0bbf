import type { LegacyEndpoint, ServiceContext, ServiceModule } from '../service-module.js';
import { knowledgeDemo } from './demo.js';
import { KnowledgeItemsDomain } from './domain.js';
import { knowledgeHandlers } from './handlers.js';
import { knowledgeRoutes } from './routes.js';

/** Builds the hand-written legacy endpoint (`legacy/knowledge-items.ts`); the registry passes it in, so the service never imports `legacy/`. */
export type LegacyFactory = (domain: KnowledgeItemsDomain) => LegacyEndpoint;

/** knowledge-items: the knowledge base list on `/api/knowledge-items/stream` and `/knowledge` (legacy.md §8). */
export function createKnowledgeItemsService(ctx: ServiceContext, legacy: LegacyFactory): ServiceModule {
  const domain = new KnowledgeItemsDomain(ctx);
  return {
    id: 'knowledge-items',
    legacy: legacy(domain),
    handlers: knowledgeHandlers(domain, (room) => ctx.hub.head(room)),
    routes: (router) => knowledgeRoutes(router, domain, ctx.store),
    demo: () => knowledgeDemo(domain),
  };
}
