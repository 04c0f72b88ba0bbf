import type { Middleware } from 'koa';
import { SwitchyardError } from '../errors/catalogue.js';
import { isProducerRequest, type ProducerRateLimiter } from '../transport/producer-rate-limit.js';

/**
 * 429 RATE_LIMITED with Retry-After for a producer over its rate. Thrown into
 * the app's error funnel, so the body has the catalogue's shape.
 */
export function producerLimit(limiter: ProducerRateLimiter, onLimited: () => void = () => {}): Middleware {
  return async (ctx, next) => {
    if (isProducerRequest(ctx.method, ctx.path)) {
      const waitMs = limiter.take(ctx.req);
      if (waitMs > 0) {
        onLimited();
        const retryAfter = Math.max(1, Math.ceil(waitMs / 1000));
        ctx.set('Retry-After', String(retryAfter));
        throw new SwitchyardError('RATE_LIMITED', `too many producer requests; retry in ${retryAfter} s`, { retryAfterMs: waitMs });
      }
    }
    await next();
  };
}
