/**
 * The registry of service contracts: the one list every per-service table
 * derives from (ids, the SDK's plans, event maps and join events, the tests'
 * tables). Browser-safe: the SDK imports it. The server side of each service
 * (its factory) is registered in `./services.ts`.
 */
import type { AnyContract, ClientEventsOf, ServerEventsOf } from '../contract/define.js';
import { agentChat } from '../services/agent-chat/contract.js';
import { crawlProgress } from '../services/crawl-progress/contract.js';
import { knowledgeItems } from '../services/knowledge-items/contract.js';
import { mcpLogs } from '../services/mcp-logs/contract.js';
import { projectCreation } from '../services/project-creation/contract.js';
import { projectTasks } from '../services/project-tasks/contract.js';
import { testExecution } from '../services/test-execution/contract.js';

/** The seven services Switchyard migrates, in the order the migration plan ranks them. */
export const CONTRACTS = [
  crawlProgress,
  agentChat,
  projectTasks,
  mcpLogs,
  testExecution,
  projectCreation,
  knowledgeItems,
] as const satisfies readonly AnyContract[];

type Contract = (typeof CONTRACTS)[number];

export type ServiceId = Contract['id'];

/** The service ids, in registry order. */
export const SERVICE_IDS = CONTRACTS.map((contract) => contract.id) as readonly ServiceId[] as readonly [ServiceId, ...ServiceId[]];

/**
 * The id of a service a server hosts: one of the registry's, or an extra
 * service's (`createSwitchyard({ extraServices })`, e.g. a test service). The
 * server side (plans, modules, flags, stages, admin and discovery) is keyed by
 * it; which ids a server hosts is the set of its plans, passed down, never a
 * global list.
 */
export type HostedId = string;

export function isServiceId(value: unknown): value is ServiceId {
  return typeof value === 'string' && (SERVICE_IDS as readonly string[]).includes(value);
}

/** The contract of a service, by id. */
export type ContractOf<S extends ServiceId> = Extract<Contract, { id: S }>;

const BY_ID = new Map<string, Contract>(CONTRACTS.map((contract) => [contract.id, contract]));

export function contractOf<S extends ServiceId>(service: S): ContractOf<S> {
  return BY_ID.get(service) as ContractOf<S>;
}

/** Each service's event maps and join event, by id (what the SDK types are built from). */
export type ServiceContracts = {
  [S in ServiceId]: { server: ServerEventsOf<ContractOf<S>>; client: ClientEventsOf<ContractOf<S>>; join: ContractOf<S>['join'] };
};

/** The join event of each service. */
export const JOIN_EVENTS = Object.fromEntries(CONTRACTS.map((contract) => [contract.id, contract.join])) as {
  readonly [S in ServiceId]: ContractOf<S>['join'];
};

/** A table with one entry per service, built from the registry (tests and defaults use it). */
export function perService<T>(value: (service: ServiceId) => T): Record<ServiceId, T> {
  return Object.fromEntries(SERVICE_IDS.map((id) => [id, value(id)])) as Record<ServiceId, T>;
}
