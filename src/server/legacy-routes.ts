import type { IncomingMessage } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { ServicePlan } from '../adapter/plan-schema.js';
import { pathParams } from '../adapter/plan-loader.js';
import type { HostedId } from '../registry/contracts.js';
import { safeDecode } from './request-target.js';

/** A compiled legacy path. */
export interface LegacyRoute {
  service: HostedId;
  plan: ServicePlan;
  pattern: RegExp;
  names: string[];
}

export function compileRoute(service: HostedId, plan: ServicePlan): LegacyRoute {
  const names = pathParams(plan.legacy.path);
  const source = plan.legacy.path
    .split('/')
    .map((part) => (part.startsWith(':') ? '([^/]+)' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return { service, plan, pattern: new RegExp(`^${source}/?$`), names };
}

export interface RouteMatch {
  route: LegacyRoute;
  params: Record<string, string>;
}

/** Match a request URL against the legacy routes; path and query parameters, plus the plan's defaults. */
export function matchLegacyRoute(routes: readonly LegacyRoute[], url: URL): RouteMatch | undefined {
  for (const route of routes) {
    const found = route.pattern.exec(url.pathname);
    if (!found) continue;
    const params: Record<string, string> = {};
    // parseRequestTarget refused bad escapes already; a segment that still
    // does not decode matches nothing rather than throwing.
    const values = found.slice(1).map((raw) => safeDecode(raw));
    if (values.some((value) => value === undefined)) continue;
    route.names.forEach((name, i) => {
      params[name] = values[i]!;
    });
    for (const name of route.plan.legacy.query) {
      const value = url.searchParams.get(name);
      if (value !== null && value !== '') params[name] = value;
    }
    for (const [name, kind] of Object.entries(route.plan.legacy.defaults)) {
      if (params[name] === undefined && kind === 'uuid4') params[name] = randomUUID();
    }
    return { route, params };
  }
  return undefined;
}

/**
 * The stickiness identity of a legacy client for gradual rollouts: the
 * `X-Client-Id` header, else a `client_id` query parameter, else the
 * connection's own `session_id` (tasks) or entity id is NOT used, because it
 * is shared by many clients; else the remote address. When client
 * authentication verified the client, its subject wins: it cannot be forged,
 * and all of one user's tabs move together.
 */
export function legacyClientIdentity(req: IncomingMessage, url: URL, verified?: { subject: string }): { clientId?: string; remoteAddress?: string } {
  if (verified) return { clientId: verified.subject, remoteAddress: req.socket.remoteAddress };
  const header = req.headers['x-client-id'];
  const fromHeader = Array.isArray(header) ? header[0] : header;
  const clientId = fromHeader ?? url.searchParams.get('client_id') ?? undefined;
  return { clientId: clientId || undefined, remoteAddress: req.socket.remoteAddress };
}
