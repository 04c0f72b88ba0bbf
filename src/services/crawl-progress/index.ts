import type { LegacyEndpoint, ServiceContext, ServiceModule } from '../service-module.js';
import { CrawlProgressDomain } from './domain.js';
import { crawlHandlers } from './handlers.js';
import { crawlRoutes } from './routes.js';
import { crawlDemo } from './demo.js';

export function createCrawlProgressService(ctx: ServiceContext, legacy: LegacyFactory): ServiceModule {
  const domain = new CrawlProgressDomain(ctx);
  return {
    id: 'crawl-progress',
    legacy: legacy(domain),
    handlers: crawlHandlers(domain, (room) => ctx.hub.head(room)),
    routes: (router) => crawlRoutes(router, domain, ctx.store),
    demo: () => crawlDemo(domain),
    close: () => domain.close(),
  };
}/** Builds the hand-written legacy endpoint (`legacy/crawl-progress.ts`); the registry passes it in, so the service never imports `legacy/`. */
export type LegacyFactory = (domain: CrawlProgressDomain) => LegacyEndpoint;


