import Router from '@koa/router';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { ServicePlan } from '../adapter/plan-schema.js';
import { SwitchyardError } from '../errors/catalogue.js';
import { OverrideFlagSource } from '../flags/override-flag-source.js';
import { STAGES } from '../flags/stage.js';
import type { StageController } from '../rollout/stage-controller.js';
import type { Guard } from '../rollout/guard.js';
import type { HostedId } from '../registry/contracts.js';
import { parseInput } from '../services/validate.js';
import type { AdminState } from './admin-auth.js';
import type { RedisHealth, StageControl } from '../cluster/stage-control.js';

export interface AdminRoutesOptions {
  stages: StageController;
  plans: ReadonlyMap<HostedId, ServicePlan>;
  logger: Logger;
  /** The automatic rollback, shown per service. */
  guard?: Guard;
  /** Cluster mode: overrides and refreshes go through Redis to every node. Default: this node only. */
  control?: StageControl;
  /** Cluster mode: the node's merged view of Redis (data and control plane). */
  redisHealth?: () => RedisHealth;
}

const stageBody = z.strictObject({ stage: z.enum(STAGES) });

function serviceParam(value: string | undefined, plans: ReadonlyMap<HostedId, ServicePlan>): HostedId {
  // The hosted services are the plans': registry ids and extra services' alike.
  if (value === undefined || !plans.has(value)) throw new SwitchyardError('UNKNOWN_SERVICE', `unknown service "${value}"`);
  return value;
}

/**
 * The admin API. Authorised before any route, by `adminGate` (admin-auth.ts),
 * which leaves the acting token's name in `ctx.state.adminActor`:
 * - `GET    /api/admin/stages`                effective stage of every service, its source and last change
 * - `PUT    /api/admin/stages/:service`       `{stage}`: local override, wins over every source until cleared
 * - `DELETE /api/admin/stages/:service`       clear the override
 * - `POST   /api/admin/flags/refresh`         pull flags now (Unleash webhooks call this)
 * - `GET    /api/admin/audit[?service=]`      every stage change, from any source
 * - `GET    /api/admin/shadow[/:service]`     shadow-mode consistency and mismatch samples
 */
export function adminRoutes(router: Router, options: AdminRoutesOptions): void {
  const { stages, plans, logger, control } = options;
  const flags = stages.flags;
  const overrides = flags instanceof OverrideFlagSource ? flags : undefined;

  const admin = new Router<AdminState>({ prefix: '/api/admin', sensitive: true });
  const actorOf = (state: AdminState): string => {
    // The gate runs first on every /api/admin path; no name means it was bypassed.
    if (state.adminActor === undefined) throw new SwitchyardError('UNAUTHORIZED', 'a valid bearer token is required');
    return state.adminActor;
  };

  const describe = (service: HostedId): Record<string, unknown> => {
    const plan = plans.get(service)!;
    return {
      service,
      stage: stages.baseStage(service),
      source: overrides ? overrides.sourceOf(service) : flags.kind,
      override: overrides?.overrides()[service] ?? null,
      lastChange: stages.lastChange(service) ?? null,
      flag: plan.flag, priority: plan.priority, phase: plan.phase,
      legacyPath: plan.legacy.path, namespace: plan.socketio.namespace,
      connections: stages.connections(service),
      guard: options.guard?.status(service) ?? { enabled: false },
    };
  };

  admin.get('/stages', (ctx) => {
    // Cluster mode: which node answered, and whether it reaches Redis.
    const cluster = control ? { node: control.nodeId, redis: options.redisHealth?.() ?? control.health() } : {};
    ctx.body = { flags: flags.status(), lastSwitch: stages.lastSwitch ?? null, ...cluster, services: [...plans.keys()].map(describe) };
  });
  admin.put('/stages/:service', async (ctx) => {
    const service = serviceParam(ctx.params.service, plans);
    const { stage } = parseInput(stageBody, ctx.request.body, 'stage override');
    if (!overrides) throw new SwitchyardError('INTERNAL', 'this flag source takes no overrides');
    const actor = actorOf(ctx.state);
    if (control) await control.setOverride(service, stage, actor);
    else overrides.setOverride(service, stage, actor);
    logger.warn({ service, stage, actor }, 'stage override set');
    ctx.body = describe(service);
  });
  admin.delete('/stages/:service', async (ctx) => {
    const service = serviceParam(ctx.params.service, plans);
    const actor = actorOf(ctx.state);
    if (control) await control.clearOverride(service, actor);
    else overrides?.clearOverride(service, actor);
    logger.warn({ service, actor }, 'stage override cleared');
    ctx.body = describe(service);
  });
  admin.post('/flags/refresh', async (ctx) => {
    if (control) await control.refresh();
    else await flags.refresh();
    ctx.body = { flags: flags.status(), services: [...plans.keys()].map(describe) };
  });
  admin.get('/audit', async (ctx) => {
    const service = ctx.query.service === undefined ? undefined : serviceParam(String(ctx.query.service), plans);
    ctx.body = { entries: await stages.audit.list(service) };
  });
  admin.get('/shadow', (ctx) => {
    ctx.body = { services: [...plans.keys()].map((service) => ({ service, ...stages.shadow.report(service) })) };
  });
  admin.get('/shadow/:service', (ctx) => {
    const service = serviceParam(ctx.params.service, plans);
    ctx.body = { service, ...stages.shadow.report(service) };
  });
  router.use(admin.routes(), admin.allowedMethods());
}
