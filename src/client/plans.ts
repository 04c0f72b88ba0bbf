import type { EventMapping, ServicePlan } from '../adapter/plan-schema.js';
import { contractOf, type ServiceId } from '../registry/contracts.js';

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
    plan = withPlanDefaults(rawBundledPlan(service));
    prepared.set(service, plan);
  }
  return plan;
}

/** The raw bundled plan files, for the test that checks `withPlanDefaults` against the schema. */
/**
 * The raw bundled plan file of a service, from its contract: the contracts
 * import the plans statically, since a browser cannot read `migrations-plan/`
 * at run time (esbuild inlines JSON imports). They are the same files the
 * server loads, so both sides decode frames alike.
 */
export function rawBundledPlan(service: ServiceId): unknown {
  return contractOf(service).plan;
}
