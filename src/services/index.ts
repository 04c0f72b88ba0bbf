import type { Logger } from 'pino';
import type { ServicePlan } from '../adapter/plan-schema.js';
import type { Clock } from '../domain/clock.js';
import type { RoomHub } from '../domain/room-hub.js';
import { createAgentChatService } from './agent-chat/index.js';
import { createCrawlProgressService } from './crawl-progress/index.js';
import type { ServiceId } from './ids.js';
import { createKnowledgeItemsService } from './knowledge-items/index.js';
import { createMcpLogsService } from './mcp-logs/index.js';
import { createProjectCreationService } from './project-creation/index.js';
import { createProjectTasksService } from './project-tasks/index.js';
import type { ServiceContext, ServiceModule } from './service-module.js';
import type { StorageLimits } from './storage-limits.js';
import { createTestExecutionService } from './test-execution/index.js';

type Factory = (ctx: ServiceContext) => ServiceModule;

/** The services Switchyard hosts, by id. */
const FACTORIES: Record<ServiceId, Factory | undefined> = {
  'crawl-progress': createCrawlProgressService,
  'agent-chat': createAgentChatService,
  'project-tasks': createProjectTasksService,
  'mcp-logs': createMcpLogsService,
  'test-execution': createTestExecutionService,
  'project-creation': createProjectCreationService,
  'knowledge-items': createKnowledgeItemsService,
};

export function createServiceModules(deps: { hub: RoomHub; clock: Clock; logger: Logger; plans: ReadonlyMap<ServiceId, ServicePlan>; storage?: StorageLimits }): Map<ServiceId, ServiceModule> {
  const modules = new Map<ServiceId, ServiceModule>();
  for (const [id, plan] of deps.plans) {
    const factory = FACTORIES[id];
    if (!factory) continue;
    modules.set(id, factory({ hub: deps.hub, clock: deps.clock, logger: deps.logger.child({ service: id }), plan, storage: deps.storage }));
  }
  return modules;
}
