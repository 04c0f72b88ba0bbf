import type { ServicePlan } from '../adapter/plan-schema.js';
import type { LegacySession } from '../bridge/legacy-session.js';
import type { FlagSourceStatus } from '../flags/flag-source.js';
import { OverrideFlagSource } from '../flags/override-flag-source.js';
import { STAGES, type Stage } from '../flags/stage.js';
import type { AuditEntry } from '../rollout/audit-trail.js';
import type { ShadowSample } from '../rollout/shadow-recorder.js';
import { legacyModeFor, socketIoOpen, type StageController } from '../rollout/stage-controller.js';
import type { HostedId } from '../registry/contracts.js';
import { ConsoleMetrics } from './console-metrics.js';

/** Per transport; `null` where the metric it comes from does not exist. */
export interface PerTransport {
  legacy: number | null;
  socketio: number | null;
}

/** What the console shows of one service, once a second. */
export interface ServiceLive {
  service: HostedId;
  priority: ServicePlan['priority'];
  phase: ServicePlan['phase'];
  stage: Stage;
  source: string;
  /** The stage the flag source (under any override) gives: where clearing the override goes. */
  sourceStage: Stage;
  rollout: { stage: Stage; percent: number } | null;
  connections: { legacy: number; socketio: number };
  eventsPerSecond: PerTransport;
  refusalsPerMinute: number | null;
  errorsPerMinute: number | null;
  /** Only while the service (or its rollout) is in shadow, counted since it entered shadow. */
  shadow: { matches: number; mismatches: number; consistency: number | null; samples: ShadowSample[] } | null;
  lastSwitch: { at: string; from: Stage; to: Stage; actor: string; source: string; durationMs: number | null } | null;
  /** Open connections a change to each stage would move (switch side or disconnect). */
  moves: Record<Stage, number>;
}

export interface ConsoleSnapshot {
  at: number;
  flags: FlagSourceStatus;
  services: ServiceLive[];
  /** The newest audit entries, newest last; only when the trail changed since the previous snapshot. */
  audit?: AuditEntry[];
}

/** One chart point: per service [legacy connections, Socket.IO connections, legacy events/s, Socket.IO events/s]. */
export interface HistoryPoint {
  at: number;
  services: Partial<Record<HostedId, [number, number, number | null, number | null]>>;
}

export interface ConsoleFeedOptions {
  stages: StageController;
  plans: ReadonlyMap<HostedId, ServicePlan>;
  legacySessions: () => Iterable<LegacySession>;
  metrics: ConsoleMetrics;
  /** Sampling period; default 1000 ms. */
  tickMs?: number;
  /** One chart point every this many ticks; default 10 (10 s). */
  pointEvery?: number;
  /** Chart points kept; default 90 (15 minutes of 10 s points). */
  maxPoints?: number;
}

const AUDIT_SHOWN = 50;
const RATE_WINDOW = 10;
const MINUTE = 60;

/** Per-second counter totals: [delivered legacy, delivered socketio, refusals, errors] per service. */
type Totals = Map<HostedId, [number | null, number | null, number | null, number | null]>;

/**
 * The one sampler behind every console viewer: once a second it reads the
 * live numbers from the objects that hold them (stage controller, legacy
 * sessions, Socket.IO namespaces, the metrics registry), derives rates from
 * the counters, and keeps a bounded ring of chart points. Viewers get the
 * same snapshot; the cost does not grow with them.
 */
export class ConsoleFeed {
  readonly #options: Required<ConsoleFeedOptions>;
  readonly #listeners = new Set<(snapshot: ConsoleSnapshot) => void>();
  readonly #totals: Totals[] = [];
  readonly #history: HistoryPoint[] = [];
  readonly #shadowBase = new Map<HostedId, { matches: number; mismatches: number; samples: number }>();
  readonly #durations = new Map<string, number>();
  readonly #timer: NodeJS.Timeout;
  #ticks = 0;
  #auditLength = -1;
  #latest: ConsoleSnapshot | undefined;
  #sampling = false;

  constructor(options: ConsoleFeedOptions) {
    this.#options = { tickMs: 1000, pointEvery: 10, maxPoints: 90, ...options };
    this.#timer = setInterval(() => void this.#tick(), this.#options.tickMs);
    // The console must never keep a stopping process alive.
    this.#timer.unref();
  }

  /** The latest snapshot (undefined before the first tick). */
  get latest(): ConsoleSnapshot | undefined {
    return this.#latest;
  }

  /** How many are subscribed (the stream's viewers). */
  get subscribers(): number {
    return this.#listeners.size;
  }

  history(): HistoryPoint[] {
    return [...this.#history];
  }

  audit(): AuditEntry[] {
    return this.#options.stages.recent.list().slice(-AUDIT_SHOWN);
  }

  /** Called after every tick with the new snapshot; returns the unsubscribe. */
  subscribe(listener: (snapshot: ConsoleSnapshot) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  close(): void {
    clearInterval(this.#timer);
    this.#listeners.clear();
  }

  /** Take a sample now (tests, and the first viewer before the first tick). */
  async sample(): Promise<ConsoleSnapshot> {
    const { stages, plans, metrics } = this.#options;
    const [delivered, refusals, errors] = await Promise.all([
      metrics.sumBy('switchyard_events_delivered_total', ['service', 'transport']),
      metrics.sumBy('switchyard_refusals_total', ['service']),
      metrics.sumBy('switchyard_errors_total', ['service']),
    ]);
    const totals: Totals = new Map();
    for (const service of plans.keys()) {
      totals.set(service, [
        delivered ? delivered.get(`${service}|legacy`) ?? 0 : null,
        delivered ? delivered.get(`${service}|socketio`) ?? 0 : null,
        refusals ? refusals.get(service) ?? 0 : null,
        errors ? errors.get(service) ?? 0 : null,
      ]);
    }
    this.#totals.push(totals);
    if (this.#totals.length > MINUTE + 1) this.#totals.shift();

    const sessions = [...this.#options.legacySessions()];
    const flags = stages.flags;
    const overrides = flags instanceof OverrideFlagSource ? flags : undefined;
    const services: ServiceLive[] = [...plans].map(([service, plan]) => {
      const stage = stages.baseStage(service);
      const rollout = flags.rollout?.(service) ?? null;
      const connections = stages.connections(service);
      return {
        service, priority: plan.priority, phase: plan.phase, stage,
        source: overrides ? overrides.sourceOf(service) : flags.kind,
        sourceStage: overrides ? overrides.inner.baseStage(service) : stage,
        rollout,
        connections,
        eventsPerSecond: { legacy: this.#rate(service, 0, RATE_WINDOW, 1), socketio: this.#rate(service, 1, RATE_WINDOW, 1) },
        refusalsPerMinute: this.#rate(service, 2, MINUTE, MINUTE),
        errorsPerMinute: this.#rate(service, 3, MINUTE, MINUTE),
        shadow: this.#shadow(service, stage === 'shadow' || rollout?.stage === 'shadow'),
        lastSwitch: this.#lastSwitch(service),
        moves: movesFor(service, sessions.filter((s) => s.service === service), connections.socketio),
      };
    });
    const auditLength = stages.recent.list().length;
    const snapshot: ConsoleSnapshot = { at: Date.now(), flags: flags.status(), services };
    if (auditLength !== this.#auditLength) {
      this.#auditLength = auditLength;
      snapshot.audit = this.audit();
    }
    this.#latest = snapshot;
    return snapshot;
  }

  async #tick(): Promise<void> {
    // A slow registry read must not stack ticks.
    if (this.#sampling) return;
    this.#sampling = true;
    try {
      const snapshot = await this.sample();
      if (++this.#ticks % this.#options.pointEvery === 0) this.#addPoint(snapshot);
      for (const listener of this.#listeners) listener(snapshot);
    } finally {
      this.#sampling = false;
    }
  }

  #addPoint(snapshot: ConsoleSnapshot): void {
    const point: HistoryPoint = { at: snapshot.at, services: {} };
    for (const s of snapshot.services) {
      point.services[s.service] = [s.connections.legacy, s.connections.socketio, s.eventsPerSecond.legacy, s.eventsPerSecond.socketio];
    }
    this.#history.push(point);
    if (this.#history.length > this.#options.maxPoints) this.#history.shift();
  }

  /** Increase of one counter over the last `window` samples (or as many as exist), per `per` seconds. */
  #rate(service: HostedId, index: number, window: number, per: number): number | null {
    const last = this.#totals.at(-1)?.get(service)?.[index];
    if (last === null || last === undefined) return null;
    const from = Math.max(0, this.#totals.length - 1 - window);
    const first = this.#totals[from]?.get(service)?.[index];
    const seconds = ((this.#totals.length - 1 - from) * this.#options.tickMs) / 1000;
    if (first === null || first === undefined || seconds === 0) return 0;
    return Math.round(((last - first) / seconds) * per * 10) / 10;
  }

  /** Consistency since the service entered shadow; none outside shadow (no stale figure). */
  #shadow(service: HostedId, inShadow: boolean): ServiceLive['shadow'] {
    const report = this.#options.stages.shadow.report(service);
    if (!inShadow) {
      this.#shadowBase.delete(service);
      return null;
    }
    let base = this.#shadowBase.get(service);
    if (!base) {
      // Entered shadow since the last tick (or the server started in it): count from here.
      base = this.#latest === undefined ? { matches: 0, mismatches: 0, samples: 0 } : { matches: report.matches, mismatches: report.mismatches, samples: report.samples.length };
      this.#shadowBase.set(service, base);
    }
    const matches = report.matches - base.matches;
    const mismatches = report.mismatches - base.mismatches;
    const total = matches + mismatches;
    return { matches, mismatches, consistency: total === 0 ? null : matches / total, samples: report.samples.slice(base.samples, base.samples + 5) };
  }

  /** The service's newest audit entry, with how long the re-evaluation it caused took. */
  #lastSwitch(service: HostedId): ServiceLive['lastSwitch'] {
    const { stages } = this.#options;
    const entry = stages.recent.list(service).at(-1);
    if (!entry) return null;
    const key = `${service}@${entry.at}`;
    let durationMs = this.#durations.get(key);
    const report = stages.lastSwitch;
    // The re-evaluation that made the entry finishes in the same synchronous pass, so its report is at least as new.
    if (durationMs === undefined && report && report.at >= Date.parse(entry.at)) {
      durationMs = Math.round(report.durationMs * 100) / 100;
      this.#durations.set(key, durationMs);
      if (this.#durations.size > 100) this.#durations.delete(this.#durations.keys().next().value!);
    }
    return { at: entry.at, from: entry.from, to: entry.to, actor: entry.actor, source: entry.source, durationMs: durationMs ?? null };
  }
}

/** How many of a service's open connections an override to each stage would move. */
function movesFor(service: HostedId, sessions: readonly LegacySession[], socketIo: number): Record<Stage, number> {
  const moves = {} as Record<Stage, number>;
  for (const stage of STAGES) {
    const mode = legacyModeFor(stage).mode;
    moves[stage] = sessions.filter((s) => s.service === service && s.mode !== mode).length + (socketIoOpen(stage) ? 0 : socketIo);
  }
  return moves;
}
