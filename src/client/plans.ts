import agentChat from '../../migrations-plan/agent-chat.json' with { type: 'json' };
import crawlProgress from '../../migrations-plan/crawl-progress.json' with { type: 'json' };
import knowledgeItems from '../../migrations-plan/knowledge-items.json' with { type: 'json' };
import mcpLogs from '../../migrations-plan/mcp-logs.json' with { type: 'json' };
import projectCreation from '../../migrations-plan/project-creation.json' with { type: 'json' };
import projectTasks from '../../migrations-plan/project-tasks.json' with { type: 'json' };
import testExecution from '../../migrations-plan/test-execution.json' with { type: 'json' };
import type { EventMapping, ServicePlan } from '../adapter/plan-schema.js';
import type { ServiceId } from '../services/ids.js';

/**
 * The migration plans, imported statically: a browser cannot read
 * `migrations-plan/` at run time, and esbuild inlines JSON imports. They are
 * the same files the server loads, so both sides decode frames alike.
 */
const RAW_PLANS: Readonly<Record<ServiceId, unknown>> = {
  'crawl-progress': crawlProgress,
  'agent-chat': agentChat,
  'project-tasks': projectTasks,
  'mcp-logs': mcpLogs,
  'test-execution': testExecution,
  'project-creation': projectCreation,
  'knowledge-items': knowledgeItems,
};

/**
 * A plan file with the schema's defaults filled in, which the decoder relies
 * on (`decode: true` on every event row). The files are validated by the
 * server at startup and by `test/unit/client/plans.test.ts`, which checks that
 * this equals `planSchema.parse` for every plan; the SDK does not bundle zod
 * itself (it would be most of the browser bundle).
 */
export function withPlanDefaults(raw: unknown): ServicePlan {
  const plan = raw as PlanFile;
  return {
    ...plan,
    legacy: { ...plan.legacy, query: plan.legacy.query ?? [], defaults: plan.legacy.defaults ?? {} },
    socketio: { ...plan.socketio, clientEvents: plan.socketio.clientEvents ?? [] },
    events: plan.events.map((row) => ({ ...row, decode: row.decode ?? true })),
    notes: plan.notes ?? [],
  };
}

/** A plan file as written: the fields the schema defaults may be absent. */
type PlanFile = Omit<ServicePlan, 'legacy' | 'socketio' | 'events' | 'notes'> & {
  legacy: Omit<ServicePlan['legacy'], 'query' | 'defaults'> & Partial<Pick<ServicePlan['legacy'], 'query' | 'defaults'>>;
  socketio: Omit<ServicePlan['socketio'], 'clientEvents'> & Partial<Pick<ServicePlan['socketio'], 'clientEvents'>>;
  events: Array<Omit<EventMapping, 'decode'> & { decode?: boolean }>;
  notes?: string[];
};

const prepared = new Map<ServiceId, ServicePlan>();

/** The plan of a service as bundled with the SDK (the server's `migrations-plan/` files). */
export function bundledPlan(service: ServiceId): ServicePlan {
  let plan = prepared.get(service);
  if (!plan) {
    plan = withPlanDefaults(RAW_PLANS[service]);
    prepared.set(service, plan);
  }
  return plan;
}

/** The raw bundled plan files, for the test that checks `withPlanDefaults` against the schema. */
export function rawBundledPlan(service: ServiceId): unknown {
  return RAW_PLANS[service];
}
