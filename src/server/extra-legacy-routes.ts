import type { ServicePlan, Template } from '../adapter/plan-schema.js';
import type { HostedId } from '../registry/contracts.js';
import type { ExtraLegacyEndpoint, ServiceModule } from '../services/service-module.js';
import { compileRoute, matchLegacyRoute, type LegacyRoute } from './legacy-routes.js';

/**
 * A compiled legacy-only endpoint (`ServiceModule.extraLegacyEndpoints`, e.g.
 * the project list stream of legacy.md §9). It has no plan of its own, so it
 * is always served by its hand-written endpoint: never by the adapter, never
 * switched by a stage, never resumed.
 */
export interface ExtraLegacyRoute {
  readonly name: string;
  /**
   * Its route. The plan is the owner's with the `legacy` block describing this
   * endpoint (path, heartbeat frame, no pong), which is all a legacy-mode
   * `LegacySession` reads from it.
   */
  readonly route: LegacyRoute;
  /** The owning module with `legacy` replaced by this endpoint. */
  readonly module: ServiceModule;
  /** Heartbeat cadence: `heartbeatIntervals[name]` when given, else the endpoint's own. */
  readonly heartbeatMs: number | undefined;
}

function extraPlan(owner: ServicePlan, extra: ExtraLegacyEndpoint, intervalMs: number | undefined): ServicePlan {
  const heartbeat = extra.heartbeat && intervalMs !== undefined
    ? { intervalMs, frame: JSON.parse(extra.heartbeat.frame) as Template }
    : null;
  return { ...owner, legacy: { path: extra.path, query: [], defaults: {}, heartbeat, pong: null } };
}

/** Compile every module's legacy-only endpoints. `intervals` overrides heartbeat cadences by endpoint name (tests). */
export function compileExtraRoutes(
  modules: ReadonlyMap<HostedId, ServiceModule>,
  plans: ReadonlyMap<HostedId, ServicePlan>,
  intervals: Partial<Record<string, number>> = {},
): ExtraLegacyRoute[] {
  const out: ExtraLegacyRoute[] = [];
  for (const [id, module] of modules) {
    for (const extra of module.extraLegacyEndpoints ?? []) {
      const heartbeatMs = extra.heartbeat ? intervals[extra.name] ?? extra.heartbeat.intervalMs : undefined;
      out.push({
        name: extra.name,
        route: compileRoute(id, extraPlan(plans.get(id)!, extra, heartbeatMs)),
        module: { ...module, legacy: extra.endpoint },
        heartbeatMs,
      });
    }
  }
  return out;
}

/** The legacy-only endpoint a request URL names, with its path parameters. */
export function matchExtraRoute(extras: readonly ExtraLegacyRoute[], url: URL): { extra: ExtraLegacyRoute; params: Record<string, string> } | undefined {
  const found = matchLegacyRoute(extras.map((extra) => extra.route), url);
  const extra = found && extras.find((candidate) => candidate.route === found.route);
  return found && extra ? { extra, params: found.params } : undefined;
}
