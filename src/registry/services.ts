import { embeddedStore, type EntityStore } from '../domain/entity-store.js';
/**
 * The server side of the registry: one line per service, its contract and how
 * to build it (domain, handlers, routes, and the hand-written legacy endpoint
 * from `legacy/`). Server only: the SDK reads `./contracts.ts` instead.
 */
import type { Logger } from 'pino';
import { agentChatLegacy } from '../../legacy/agent-chat.js';
import { crawlProgressLegacy } from '../../legacy/crawl-progress.js';
import { knowledgeItemsLegacy } from '../../legacy/knowledge-items.js';
import { mcpLogsLegacy } from '../../legacy/mcp-logs.js';
import { projectCreationLegacy } from '../../legacy/project-creation.js';
import { projectTasksLegacy } from '../../legacy/project-tasks.js';
import { projectsListLegacy } from '../../legacy/projects-list.js';
import { testExecutionLegacy } from '../../legacy/test-execution.js';
import type { ServicePlan } from '../adapter/plan-schema.js';
import type { AnyContract } from '../contract/define.js';
import type { Clock } from '../domain/clock.js';
import type { RoomHub } from '../domain/room-hub.js';
import { createAgentChatService } from '../services/agent-chat/index.js';
import { createCrawlProgressService } from '../services/crawl-progress/index.js';
import { createKnowledgeItemsService } from '../services/knowledge-items/index.js';
import { createMcpLogsService } from '../services/mcp-logs/index.js';
import { createProjectCreationService } from '../services/project-creation/index.js';
import { createProjectTasksService } from '../services/project-tasks/index.js';
import type { ServiceContext, ServiceModule } from '../services/service-module.js';
import type { StorageLimits } from '../services/storage-limits.js';
import { createTestExecutionService } from '../services/test-execution/index.js';
import { CONTRACTS, type HostedId, type ServiceId } from './contracts.js';

/** A service as the server hosts it: its contract and its factory. */
export interface ServerService<C extends AnyContract = AnyContract> {
  readonly contract: C;
  create(ctx: ServiceContext): ServiceModule;
}

/** Pair a contract with its factory. */
export function serve<C extends AnyContract>(contract: C, create: (ctx: ServiceContext) => ServiceModule): ServerService<C> {
  return { contract, create };
}

const [crawlProgress, agentChat, projectTasks, mcpLogs, testExecution, projectCreation, knowledgeItems] = CONTRACTS;

/** The services Switchyard hosts by default, in registry order. */
export const SERVICES = [
  serve(crawlProgress, (ctx) => createCrawlProgressService(ctx, crawlProgressLegacy)),
  serve(agentChat, (ctx) => createAgentChatService(ctx, agentChatLegacy)),
  serve(projectTasks, (ctx) => createProjectTasksService(ctx, projectTasksLegacy)),
  serve(mcpLogs, (ctx) => createMcpLogsService(ctx, mcpLogsLegacy)),
  serve(testExecution, (ctx) => createTestExecutionService(ctx, testExecutionLegacy)),
  serve(projectCreation, (ctx) => createProjectCreationService(ctx, { creation: projectCreationLegacy, list: projectsListLegacy })),
  serve(knowledgeItems, (ctx) => createKnowledgeItemsService(ctx, knowledgeItemsLegacy)),
] as const;

// Compile-time guard: every contract of the registry has a server line.
type Unserved = Exclude<ServiceId, (typeof SERVICES)[number]['contract']['id']>;
const allServed: [Unserved] extends [never] ? true : Unserved = true;
void allServed;

/** Build the modules of the services that have a plan, in plan order. */
export function createServiceModules(deps: {
  hub: RoomHub;
  clock: Clock;
  logger: Logger;
  plans: ReadonlyMap<HostedId, ServicePlan>;
  /** Where to find each service's factory; default the registry's `SERVICES`. */
  services?: readonly ServerService[];
  /** Services hosted beside the registry's (see `SwitchyardOptions.extraServices`). */
  extraServices?: readonly ServerService[];
  /** Bounds of the services' stores; default from the environment (see storage-limits.ts). */
  storage?: StorageLimits;
  /** Where the services keep their entities; default in-process maps. */
  store?: EntityStore;
}): Map<HostedId, ServiceModule> {
  const all = [...(deps.services ?? SERVICES), ...(deps.extraServices ?? [])];
  const byId = new Map<HostedId, ServerService>(all.map((service) => [service.contract.id, service]));
  const modules = new Map<HostedId, ServiceModule>();
  for (const [id, plan] of deps.plans) {
    const service = byId.get(id);
    if (!service) continue;
    modules.set(id, service.create({ hub: deps.hub, clock: deps.clock, logger: deps.logger.child({ service: id }), plan, storage: deps.storage, store: deps.store ?? embeddedStore }));
  }
  return modules;
}
