import { crawlProgressLegacy } from '../../../legacy/crawl-progress.js';
import type { ServiceContext, ServiceModule } from '../service-module.js';
import { CrawlProgressDomain } from './domain.js';
import { crawlHandlers } from './handlers.js';
import { crawlRoutes } from './routes.js';
import { crawlDemo } from './demo.js';

export function createCrawlProgressService(ctx: ServiceContext): ServiceModule {
  const domain = new CrawlProgressDomain(ctx);
  return {
    id: 'crawl-progress',
    legacy: crawlProgressLegacy(domain),
    handlers: crawlHandlers(domain, (room) => ctx.hub.head(room)),
    routes: (router) => crawlRoutes(router, domain),
    demo: () => crawlDemo(domain),
    close: () => domain.close(),
  };
}
