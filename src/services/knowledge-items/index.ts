import { knowledgeItemsLegacy } from '../../../legacy/knowledge-items.js';
import type { ServiceContext, ServiceModule } from '../service-module.js';
import { knowledgeDemo } from './demo.js';
import { KnowledgeItemsDomain } from './domain.js';
import { knowledgeHandlers } from './handlers.js';
import { knowledgeRoutes } from './routes.js';

/** knowledge-items: the knowledge base list on `/api/knowledge-items/stream` and `/knowledge` (legacy.md §8). */
export function createKnowledgeItemsService(ctx: ServiceContext): ServiceModule {
  const domain = new KnowledgeItemsDomain(ctx);
  return {
    id: 'knowledge-items',
    legacy: knowledgeItemsLegacy(domain),
    handlers: knowledgeHandlers(domain, (room) => ctx.hub.head(room)),
    routes: (router) => knowledgeRoutes(router, domain),
    demo: () => knowledgeDemo(domain),
  };
}
