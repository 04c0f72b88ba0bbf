import { bodyParser } from '@koa/bodyparser';
import cors from '@koa/cors';
import Router from '@koa/router';
import Koa from 'koa';
import type { Logger } from 'pino';
import type { ServicePlan } from '../adapter/plan-schema.js';
import { SwitchyardError } from '../errors/catalogue.js';
import { toHttp } from '../errors/surfaces.js';
import type { FlagSourceStatus } from '../flags/flag-source.js';
import type { HostedId } from '../registry/contracts.js';
import type { ServiceModule } from '../services/service-module.js';
import type { Limits } from '../transport/limits.js';
import { adminGate, AdminTokens, isAdminRequest } from './admin-auth.js';
import { requireJsonBody } from './json-body.js';
import type { Metrics } from './metrics.js';
import type { ProducerRateLimiter } from '../transport/producer-rate-limit.js';
import { producerLimit } from './producer-limit-middleware.js';
import type { Access } from '../auth/access.js';
import type { RedisHealth } from '../cluster/stage-control.js';

export interface HttpAppOptions {
  plans: ReadonlyMap<HostedId, ServicePlan>;
  modules: ReadonlyMap<HostedId, ServiceModule>;
  metrics: Metrics;
  limits: Limits;
  isReady: () => boolean;
  /** The flag source's health, reported by /ready (degraded, not unready, while Unleash is down). */
  flagStatus?: () => FlagSourceStatus | undefined;
  /** More routes (admin API, console) mounted by the caller. */
  extend?: (router: Router) => void;
  /** Producer requests per second (429 RATE_LIMITED over it). Default: unlimited. */
  producerLimiter?: ProducerRateLimiter;
  /** Origin allowlist, producer token and client authentication (src/auth). Default: all open. */
  access?: Pick<Access, 'corsOrigin' | 'koaGuard'>;
  /** Where 5xx answers are logged, with the error's stack. */
  logger?: Logger;
  /** The admin API's tokens; without any, every `/api/admin` request is refused (401). */
  adminTokens?: AdminTokens;
  /** Cluster mode: Redis health; /ready answers 503 while it is down (see README, "Running several nodes"). */
  redisHealth?: () => RedisHealth;
}

/**
 * The REST side: health, readiness, metrics, each service's producer API and
 * legacy REST routes. Every failure goes through one funnel that answers with
 * the error catalogue's status and a JSON body (Koa's `ctx.onerror` pattern).
 */
export function createHttpApp(options: HttpAppOptions): Koa {
  const app = new Koa();
  // Case-sensitive, as the legacy FastAPI routes were: `/Api/…` is not `/api/…`.
  const router = new Router({ sensitive: true });

  app.use(async (ctx, next) => {
    // On every answer, errors included: a JSON error must never be sniffed into HTML.
    ctx.set('X-Content-Type-Options', 'nosniff');
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        throw new SwitchyardError('NOT_FOUND', `no route ${ctx.method} ${ctx.path}`);
      }
      // allowedMethods() leaves a bare status (Koa would answer text/plain).
      // 501 is its answer to a method no route knows (PROPFIND): not allowed here either.
      if ((ctx.status === 405 || ctx.status === 501) && ctx.body === undefined) {
        // The Allow header it set stays on the answer.
        throw new SwitchyardError('METHOD_NOT_ALLOWED', `${ctx.method} is not allowed on ${ctx.path}`);
      }
    } catch (error) {
      const status = (error as { status?: number }).status;
      // Body-parser failures carry a status: bad JSON is 400, too large is 413.
      const mapped = error instanceof SwitchyardError ? error
        : status === 413 ? new SwitchyardError('PAYLOAD_TOO_LARGE', `body exceeds ${options.limits.restMaxBody} bytes`)
        : status !== undefined && status >= 400 && status < 500 ? new SwitchyardError('INVALID_PAYLOAD', 'body is not valid JSON')
        : error;
      const { status: httpStatus, body } = toHttp(mapped);
      options.metrics.refused(serviceOfPath(ctx.path), 'rest', body.error.code);
      ctx.status = httpStatus;
      ctx.body = body;
      if (httpStatus >= 500) ctx.app.emit('error', error, ctx);
    }
  });
  // Every 5xx reaches the log with its stack (the funnel emits them here).
  app.on('error', (error: unknown, ctx?: Koa.Context) => {
    options.logger?.error({ err: error, method: ctx?.method, path: ctx?.path }, 'request failed');
  });
  app.use(adminGate(options.adminTokens ?? new AdminTokens({})));
  // Browsers on another origin (the SDK's discovery, the legacy chat REST
  // route) may call the public API, as they may open the Socket.IO engine
  // (cors in app.ts). Not the admin API, however its path is spelled: it is
  // for operators and scripts.
  const publicCors = cors({ origin: options.access?.corsOrigin ?? ((ctx) => ctx.get('origin') || '*') });
  app.use((ctx, next) => (isAdminRequest(ctx.url) ? next() : publicCors(ctx, next)));
  // Before the body parser: a flood is refused without reading its bodies.
  if (options.producerLimiter) app.use(producerLimit(options.producerLimiter, () => options.metrics.flowRefusals.inc({ code: 'RATE_LIMITED', transport: 'rest' })));
  if (options.access) app.use(options.access.koaGuard);
  app.use(requireJsonBody());
  app.use(bodyParser({
    enableTypes: ['json'],
    // The same types requireJsonBody admits. (The library merges this list
    // into its defaults by index, hence application/json named again.)
    extendTypes: { json: ['application/json', 'application/*+json'] },
    jsonLimit: options.limits.restMaxBody,
    encoding: 'utf-8',
  }));

  router.get('/health', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/ready', (ctx) => {
    const redis = options.redisHealth?.();
    // Without Redis a node can keep its open connections but cannot take new
    // work safely: unready, so the load balancer sends new clients elsewhere.
    const ready = options.isReady() && redis?.status !== 'down';
    ctx.status = ready ? 200 : 503;
    const flags = options.flagStatus?.();
    ctx.body = { ready, plans: options.plans.size, services: [...options.plans.keys()], ...(flags ? { flags } : {}), ...(redis ? { redis } : {}) };
  });
  router.get('/metrics', async (ctx) => {
    ctx.type = options.metrics.registry.contentType;
    ctx.body = await options.metrics.scrape();
  });
  // Which service a path belongs to, for the refusal and error metrics: the routes each module added.
  const serviceRoutes: Array<{ service: HostedId; layers: Router['stack'] }> = [];
  for (const [service, module] of options.modules) {
    const before = router.stack.length;
    module.routes(router);
    serviceRoutes.push({ service, layers: router.stack.slice(before) });
  }
  // Only on the error path: a scan of the service routes, never per successful request.
  function serviceOfPath(path: string): HostedId | undefined {
    return serviceRoutes.find(({ layers }) => layers.some((layer) => layer.match(path)))?.service;
  }
  options.extend?.(router);

  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
