import type { Logger } from 'pino';
import type { Counter, Histogram } from 'prom-client';
import type { GuardPlan, ServicePlan } from '../adapter/plan-schema.js';
import type { OverrideFlagSource } from '../flags/override-flag-source.js';
import { STAGES, type Stage } from '../flags/stage.js';
import type { HostedId } from '../registry/contracts.js';
import type { Metrics } from '../server/metrics.js';
import type { StageController } from './stage-controller.js';

/** The actor and audit source of the guard's rollbacks. */
export const GUARD = 'guard';

/** Refusals the stages make themselves: a switch is not a fault of the service. */
const STAGE_REFUSALS: ReadonlySet<string> = new Set(['SERVICE_ON_LEGACY', 'STAGE_CHANGED', 'SHUTTING_DOWN']);

/** One window's measurements of one service. */
export interface GuardMeasurements {
  windowMs: number;
  errorsPerSecond: number;
  refusalsPerSecond: number;
  disconnectsPerSecond: number;
  shadowMismatches: number;
  /** Upper bound of the latency bucket holding the 99th percentile; null when nothing was delivered. */
  deliveryLatencyP99Ms: number | null;
}

export interface GuardWindow {
  at: string;
  measurements: GuardMeasurements;
  /** The objectives this window breached, e.g. `maxErrorsPerSecond`. */
  breaches: string[];
}

/** What GET /api/admin/stages shows per service. */
export interface GuardStatus {
  enabled: boolean;
  windowMs?: number;
  consecutiveWindows?: number;
  objectives?: GuardPlan['objectives'];
  /** Whether the service is on `socketio` or in a gradual rollout, so its windows count. */
  watching?: boolean;
  /** Breached windows in a row so far. */
  breachedWindows?: number;
  lastWindow?: GuardWindow | null;
  /** The rollback in force (its override not yet cleared by an operator). */
  tripped?: (GuardWindow & { from: Stage; to: Stage; rollout?: { stage: Stage; percent: number } }) | null;
}

export interface GuardOptions {
  plans: ReadonlyMap<HostedId, ServicePlan>;
  stages: StageController;
  overrides: OverrideFlagSource;
  metrics: Metrics;
  logger: Logger;
}

/** Cumulative counts of one service at one instant; a window is the difference of two. */
interface Reading {
  at: number;
  errors: number;
  refusals: number;
  disconnects: number;
  mismatches: number;
  /** Cumulative latency bucket counts by upper bound (seconds; Infinity for +Inf), both transports. */
  latency: Map<number, number>;
}

interface ServiceGuard {
  plan: GuardPlan;
  timer: NodeJS.Timeout;
  last: Reading | undefined;
  breachedWindows: number;
  lastWindow: GuardWindow | null;
  tripped: GuardStatus['tripped'];
}

/**
 * Automatic rollback on a breached objective. Every guarded service (a
 * `guard` block in its plan file) is measured in windows of `windowMs`, from
 * the same counters /metrics exposes; while it is on `socketio` or in a
 * gradual rollout toward it, a window that breaches any objective counts, a
 * clean one resets the count, and `consecutiveWindows` breached windows in a
 * row roll it back to its previous stage through the admin API's own
 * mechanism: an override (actor and audit source `guard`, with the
 * measurements). The rollback stays until an operator clears the override
 * (DELETE /api/admin/stages/:service); the guard then watches again.
 */
export class Guard {
  readonly #o: GuardOptions;
  readonly #services = new Map<HostedId, ServiceGuard>();

  constructor(options: GuardOptions) {
    this.#o = options;
    for (const [service, plan] of options.plans) {
      if (!plan.guard?.enabled) continue;
      const timer = setInterval(() => {
        this.tick(service).catch((error: unknown) => options.logger.error({ err: error, service }, 'guard window failed'));
      }, plan.guard.windowMs);
      // Monitoring must never keep a process (or a test worker) alive.
      timer.unref();
      const entry: ServiceGuard = { plan: plan.guard, timer, last: undefined, breachedWindows: 0, lastWindow: null, tripped: null };
      this.#services.set(service, entry);
      void this.#read(service).then((reading) => {
        entry.last ??= reading;
      });
    }
  }

  status(service: HostedId): GuardStatus {
    const entry = this.#services.get(service);
    if (!entry) return { enabled: false };
    this.#noticeCleared(service, entry);
    const { plan } = entry;
    return {
      enabled: true, windowMs: plan.windowMs, consecutiveWindows: plan.consecutiveWindows, objectives: plan.objectives,
      watching: this.#watching(service), breachedWindows: entry.breachedWindows, lastWindow: entry.lastWindow, tripped: entry.tripped,
    };
  }

  /** Close one window of `service` now (the timer calls it; tests may too). */
  async tick(service: HostedId): Promise<void> {
    const entry = this.#services.get(service);
    if (!entry) return;
    const now = await this.#read(service);
    const before = entry.last;
    entry.last = now;
    if (!before) return;
    const measurements = measure(before, now);
    const breaches = breached(entry.plan.objectives, measurements);
    entry.lastWindow = { at: new Date(now.at).toISOString(), measurements, breaches };
    this.#noticeCleared(service, entry);
    if (entry.tripped || !this.#watching(service) || breaches.length === 0) {
      entry.breachedWindows = 0;
      return;
    }
    entry.breachedWindows++;
    if (entry.breachedWindows >= entry.plan.consecutiveWindows) this.#rollBack(service, entry, entry.lastWindow);
  }

  close(): void {
    for (const entry of this.#services.values()) clearInterval(entry.timer);
  }

  #watching(service: HostedId): boolean {
    const { stages } = this.#o;
    const rollout = stages.rollout(service);
    return stages.baseStage(service) === 'socketio' || (rollout !== undefined && (rollout.stage === 'socketio' || rollout.stage === 'retired'));
  }

  /** An operator cleared (or replaced) the guard's override: the service is the operator's again. */
  #noticeCleared(service: HostedId, entry: ServiceGuard): void {
    if (entry.tripped && this.#o.overrides.overrides()[service] !== entry.tripped.to) {
      this.#o.logger.info({ service }, 'guard rollback cleared by an operator; watching again');
      entry.tripped = null;
      entry.breachedWindows = 0;
    }
  }

  #rollBack(service: HostedId, entry: ServiceGuard, window: GuardWindow): void {
    const { stages, overrides, logger } = this.#o;
    const base = stages.baseStage(service);
    const rollout = base === 'socketio' ? undefined : stages.rollout(service);
    // A rollout is rolled back by pinning every client on the stage outside it; a full stage by going one step back.
    const from: Stage = rollout ? rollout.stage : base;
    const to: Stage = rollout ? base : this.#previousStage(service, base);
    const details = {
      reason: 'objective breached', breaches: window.breaches, measurements: window.measurements,
      objectives: entry.plan.objectives, consecutiveWindows: entry.plan.consecutiveWindows, windowMs: entry.plan.windowMs,
      ...(rollout ? { rollout } : {}),
    };
    entry.tripped = { ...window, from, to, ...(rollout ? { rollout } : {}) };
    entry.breachedWindows = 0;
    logger.warn({ service, from, to, breaches: window.breaches, measurements: window.measurements }, 'guard rolled the service back');
    // The stage controller writes the audit entry when the base stage moves; a
    // rollout's base does not, so that rollback is recorded here.
    if (rollout) stages.record({ at: new Date().toISOString(), service, from, to, source: GUARD, actor: GUARD, details });
    overrides.setOverride(service, to, GUARD, { source: GUARD, details });
  }

  /** The stage it came from (the audit trail), if that is behind it; else one stage back. */
  #previousStage(service: HostedId, current: Stage): Stage {
    const index = STAGES.indexOf(current);
    const arrival = this.#o.stages.recent.list(service).filter((e) => e.to === current).at(-1);
    if (arrival && STAGES.indexOf(arrival.from) < index) return arrival.from;
    return STAGES[Math.max(0, index - 1)]!;
  }

  async #read(service: HostedId): Promise<Reading> {
    const { metrics } = this.#o;
    const latency = new Map<number, number>();
    for (const { labels, value, metricName } of (await metrics.deliveryLatency.get()).values) {
      if (labels.service !== service || metricName?.endsWith('_bucket') !== true) continue;
      // Bucket samples carry `le` beside the declared labels.
      const bound = (labels as Record<string, string | number | undefined>).le;
      const le = bound === '+Inf' ? Number.POSITIVE_INFINITY : Number(bound);
      latency.set(le, (latency.get(le) ?? 0) + value);
    }
    return {
      at: Date.now(),
      errors: await sum(metrics.errors, service),
      refusals: await sum(metrics.refusals, service, (code) => !STAGE_REFUSALS.has(code)),
      disconnects: await sum(metrics.disconnects, service),
      mismatches: await sum(metrics.shadowComparisons, service, (_code, result) => result === 'mismatch'),
      latency,
    };
  }
}

async function sum(counter: Counter<string> | Histogram<string>, service: HostedId, accept: (code: string, result: string) => boolean = () => true): Promise<number> {
  let total = 0;
  for (const { labels, value } of (await counter.get()).values) {
    if (labels.service === service && accept(String(labels.code), String(labels.result))) total += value;
  }
  return total;
}

function measure(before: Reading, now: Reading): GuardMeasurements {
  const windowMs = Math.max(1, now.at - before.at);
  const perSecond = (a: number, b: number): number => ((b - a) * 1000) / windowMs;
  return {
    windowMs,
    errorsPerSecond: perSecond(before.errors, now.errors),
    refusalsPerSecond: perSecond(before.refusals, now.refusals),
    disconnectsPerSecond: perSecond(before.disconnects, now.disconnects),
    shadowMismatches: now.mismatches - before.mismatches,
    deliveryLatencyP99Ms: p99Ms(before.latency, now.latency),
  };
}

/** The upper bound of the bucket that holds the window's 99th percentile (the largest finite bound for +Inf). */
function p99Ms(before: ReadonlyMap<number, number>, now: ReadonlyMap<number, number>): number | null {
  const bounds = [...now.keys()].sort((a, b) => a - b);
  const total = (now.get(Number.POSITIVE_INFINITY) ?? 0) - (before.get(Number.POSITIVE_INFINITY) ?? 0);
  if (total <= 0) return null;
  for (const bound of bounds) {
    if ((now.get(bound) ?? 0) - (before.get(bound) ?? 0) >= total * 0.99) {
      return (Number.isFinite(bound) ? bound : bounds.at(-2) ?? 0) * 1000;
    }
  }
  return null;
}

function breached(objectives: GuardPlan['objectives'], m: GuardMeasurements): string[] {
  const out: string[] = [];
  if (objectives.maxErrorsPerSecond !== undefined && m.errorsPerSecond > objectives.maxErrorsPerSecond) out.push('maxErrorsPerSecond');
  if (objectives.maxRefusalsPerSecond !== undefined && m.refusalsPerSecond > objectives.maxRefusalsPerSecond) out.push('maxRefusalsPerSecond');
  if (objectives.maxDisconnectsPerSecond !== undefined && m.disconnectsPerSecond > objectives.maxDisconnectsPerSecond) out.push('maxDisconnectsPerSecond');
  if (objectives.maxShadowMismatches !== undefined && m.shadowMismatches > objectives.maxShadowMismatches) out.push('maxShadowMismatches');
  if (objectives.maxDeliveryLatencyP99Ms !== undefined && m.deliveryLatencyP99Ms !== null && m.deliveryLatencyP99Ms > objectives.maxDeliveryLatencyP99Ms) {
    out.push('maxDeliveryLatencyP99Ms');
  }
  return out;
}
