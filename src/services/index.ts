import type { Logger } from 'pino';
import type { ServicePlan } from '../adapter/plan-schema.js';
import type { Clock } from '../domain/clock.js';
import type { RoomHub } from '../domain/room-hub.js';
import { createCrawlProgressService } from './crawl-progress/index.js';
import type { ServiceId } from './ids.js';
import type { ServiceContext, ServiceModule } from './service-module.js';

type Factory = (ctx: ServiceContext) => ServiceModule;

/** The services Switchyard hosts, by id. A plan without a factory here is not served yet. */
const FACTORIES: Partial<Record<ServiceId, Factory>> = {
  'crawl-progress': createCrawlProgressService,
};

export function createServiceModules(deps: { hub: RoomHub; clock: Clock; logger: Logger; plans: ReadonlyMap<ServiceId, ServicePlan> }): Map<ServiceId, ServiceModule> {
  const modules = new Map<ServiceId, ServiceModule>();
  for (const [id, plan] of deps.plans) {
    const factory = FACTORIES[id];
    if (!factory) continue;
    modules.set(id, factory({ hub: deps.hub, clock: deps.clock, logger: deps.logger.child({ service: id }), plan }));
  }
  return modules;
}
