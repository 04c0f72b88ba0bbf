import type Router from '@koa/router';
import type { ServicePlan } from '../adapter/plan-schema.js';
import { SwitchyardError } from '../errors/catalogue.js';
import type { Stage } from '../flags/stage.js';
import { socketIoOpen, type StageController } from '../rollout/stage-controller.js';
import type { HostedId } from '../registry/contracts.js';

/** What the SDK learns before it connects. */
export interface Discovery {
  service: HostedId;
  stage: Stage | 'dual';
  /** The transport that serves this client now. */
  transport: 'socketio' | 'legacy';
  namespace: string;
  socketIoPath: string;
  legacyPath: string;
  join: string;
  leave: string | null;
}

/**
 * `GET /api/switchyard/discover?service=<id>&clientId=<id>`: which transport
 * serves this client for this service now, with the flags evaluated for it
 * (gradual rollouts are sticky on `clientId`). Public: it reveals nothing
 * a connection attempt would not.
 */
export function discoveryRoutes(router: Router, options: { plans: ReadonlyMap<HostedId, ServicePlan>; stages: StageController | undefined; socketIoPath: string }): void {
  router.get('/api/switchyard/discover', (ctx) => {
    const service = ctx.query.service;
    if (typeof service !== 'string' || service === '') throw new SwitchyardError('INVALID_PAYLOAD', 'query parameter "service" is required', { field: 'service' });
    if (!options.plans.has(service)) throw new SwitchyardError('UNKNOWN_SERVICE', `unknown service "${service}"`);
    const plan = options.plans.get(service)!;
    const clientId = typeof ctx.query.clientId === 'string' && ctx.query.clientId !== '' ? ctx.query.clientId : undefined;
    const stage = options.stages?.stageFor(service, { clientId, remoteAddress: ctx.ip }) ?? 'dual';
    const body: Discovery = {
      service, stage,
      transport: stage === 'dual' || socketIoOpen(stage) ? 'socketio' : 'legacy',
      namespace: plan.socketio.namespace,
      socketIoPath: options.socketIoPath,
      legacyPath: plan.legacy.path,
      join: plan.socketio.join.event,
      leave: plan.socketio.leave,
    };
    ctx.body = body;
  });
}
