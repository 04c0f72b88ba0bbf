import type { Middleware } from 'koa';
import { SwitchyardError } from '../errors/catalogue.js';

const WITH_BODY = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Every REST body is JSON. A POST/PUT/PATCH/DELETE that carries a body of
 * another type is refused with 415, instead of being read as "no body" (which
 * made a text/plain POST create a chat session). A request without a body is
 * left alone: legacy clients send some (`POST /api/agent-chat/sessions` with
 * query parameters, `DELETE /api/mcp/logs`).
 *
 * A body without any Content-Type is read as JSON, as FastAPI (the legacy
 * backend) did; `text/plain` and forms were never accepted there either
 * (FastAPI answered them 422).
 */
export function requireJsonBody(): Middleware {
  return async (ctx, next) => {
    if (WITH_BODY.has(ctx.method) && hasBody(ctx.req.headers)) {
      if (!ctx.get('content-type')) ctx.req.headers['content-type'] = 'application/json';
      else if (!ctx.is('application/json', 'application/*+json')) {
        throw new SwitchyardError('UNSUPPORTED_MEDIA_TYPE', `a request body must be JSON (application/json), not ${ctx.get('content-type')}`);
      }
    }
    await next();
  };
}

function hasBody(headers: { 'transfer-encoding'?: string; 'content-length'?: string }): boolean {
  if (headers['transfer-encoding'] !== undefined) return true;
  const length = Number(headers['content-length'] ?? 0);
  return Number.isNaN(length) || length > 0;
}
