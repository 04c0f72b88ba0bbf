import type { Logger } from 'pino';
import type { Namespace, Socket } from 'socket.io';
import type { ServicePlan } from '../adapter/plan-schema.js';
import type { LegacyMode, LegacySession } from '../bridge/legacy-session.js';
import type { Clock } from '../domain/clock.js';
import { SwitchyardError } from '../errors/catalogue.js';
import type { ChangeCause, FlagContext, FlagSource, FlagSourceStatus } from '../flags/flag-source.js';
import { STAGES, type Stage } from '../flags/stage.js';
import { OverrideFlagSource } from '../flags/override-flag-source.js';
import type { StageView } from '../server/metrics.js';
import type { HostedId } from '../registry/contracts.js';
import { AuditTrail, type AuditEntry, type AuditLog } from './audit-trail.js';
import { ShadowRecorder } from './shadow-recorder.js';

/** How a stage serves a legacy connection. */
export function legacyModeFor(stage: Stage): { mode: LegacyMode; shadow: boolean } {
  switch (stage) {
    case 'legacy': return { mode: 'legacy', shadow: false };
    case 'shadow': return { mode: 'legacy', shadow: true };
    case 'socketio':
    case 'retired': return { mode: 'adapter', shadow: false };
  }
}

/** Whether the Socket.IO namespace accepts a client in this stage. */
export function socketIoOpen(stage: Stage): boolean {
  return stage === 'socketio' || stage === 'retired';
}

/** The stickiness identity of a Socket.IO client: `auth.clientId`, else its address. */
export function socketIdentity(socket: Socket): FlagContext {
  const auth = socket.handshake.auth as Record<string, unknown> | undefined;
  const clientId = typeof auth?.clientId === 'string' && auth.clientId !== '' ? auth.clientId : undefined;
  return { clientId, remoteAddress: socket.handshake.address };
}

export interface StageControllerOptions {
  flags: FlagSource;
  plans: ReadonlyMap<HostedId, ServicePlan>;
  clock: Clock;
  logger: Logger;
  socketIoPath: string;
  /** Shadow result in metrics. */
  onShadowResult?: (service: HostedId, match: boolean) => void;
  /** A service's stage changed and its open connections were switched: flag change → last connection switched, in seconds. */
  onSwitch?: (service: HostedId, direction: 'cutover' | 'rollback', seconds: number) => void;
  /** Where changes are recorded. Default: an in-memory {@link AuditTrail}. */
  audit?: AuditLog;
  /** Cluster mode: this node's name, recorded in each audit entry. Default: none (embedded). */
  nodeId?: string;
}

/** How long the last re-evaluation took, for the switch-time benchmark and the admin API. */
export interface SwitchReport {
  at: number;
  durationMs: number;
  legacySwitched: number;
  socketIoDisconnected: number;
}

/**
 * Applies stages to connections: decides at connect time (legacy upgrade,
 * Socket.IO middleware and again on `connection`), and re-decides every open
 * connection whenever the flag source changes. The audit trail records every
 * change of a service's base stage, whatever its source.
 */
export class StageController implements StageView {
  /** Where changes are recorded: this node's trail, or the cluster's shared one (read it with `await`). */
  readonly audit: AuditLog;
  /**
   * The changes this node applied, newest last, readable at once: what the
   * guard and the console look back on (the shared trail may need Redis).
   */
  readonly recent: AuditTrail;
  readonly shadow: ShadowRecorder;
  readonly #options: StageControllerOptions;
  readonly #base = new Map<HostedId, Stage>();
  readonly #lastChange = new Map<HostedId, string>();
  #legacySessions: () => Iterable<LegacySession> = () => [];
  #namespaces: ReadonlyMap<HostedId, Namespace> = new Map();
  #lastSwitch: SwitchReport | undefined;
  readonly #startedAt = Date.now();
  readonly #onChanged = (cause?: ChangeCause): void => {
    this.reevaluate(cause);
  };

  constructor(options: StageControllerOptions) {
    this.#options = options;
    this.recent = new AuditTrail();
    this.audit = options.audit ?? this.recent;
    this.shadow = new ShadowRecorder({ onResult: options.onShadowResult });
    for (const service of options.plans.keys()) this.#base.set(service, options.flags.baseStage(service));
    options.flags.on('changed', this.#onChanged);
  }

  get flags(): FlagSource {
    return this.#options.flags;
  }

  /** Connect the controller to the live connections it must re-decide. */
  bind(legacySessions: () => Iterable<LegacySession>, namespaces: ReadonlyMap<HostedId, Namespace>): void {
    this.#legacySessions = legacySessions;
    this.#namespaces = namespaces;
  }

  /** Open connections of a service on each transport (local to this instance). */
  connections(service: HostedId): { legacy: number; socketio: number } {
    let legacy = 0;
    for (const session of this.#legacySessions()) if (session.service === service) legacy++;
    return { legacy, socketio: this.#namespaces.get(service)?.sockets.size ?? 0 };
  }

  stageFor(service: HostedId, identity: FlagContext): Stage {
    return this.#options.flags.stageFor(service, identity);
  }

  baseStage(service: HostedId): Stage {
    return this.#base.get(service) ?? this.#options.flags.baseStage(service);
  }

  /** The service's current (base) stage, for the stage gauges. */
  stage(service: HostedId): Stage {
    return this.baseStage(service);
  }

  /** The gradual rollout of a service, if one is in force (an override ends it for every client). */
  rollout(service: HostedId): { stage: Stage; percent: number } | undefined {
    return this.#options.flags.rollout?.(service);
  }

  rolloutPercent(service: HostedId): number {
    return this.rollout(service)?.percent ?? 100;
  }

  /** The flag source's health, and the override layer's (always up: it lives in memory). */
  flagSources(): Array<{ source: string; status: FlagSourceStatus }> {
    const flags = this.#options.flags;
    const status = flags.status();
    const sources: Array<{ source: string; status: FlagSourceStatus }> = [{ source: status.kind, status }];
    if (flags instanceof OverrideFlagSource) sources.push({ source: 'override', status: { kind: status.kind, healthy: true, lastSyncAt: this.#startedAt } });
    return sources;
  }

  /** Record one change in this node's recent trail and, in cluster mode, the shared one. */
  record(entry: AuditEntry): void {
    this.recent.add(entry);
    if (this.audit !== this.recent) this.audit.add(entry);
  }

  lastChange(service: HostedId): string | undefined {
    return this.#lastChange.get(service);
  }

  get lastSwitch(): SwitchReport | undefined {
    return this.#lastSwitch;
  }

  /** For a new legacy connection: its mode, or `retired` to refuse it. */
  decideLegacy(service: HostedId, identity: FlagContext): LegacyMode | 'retired' {
    const stage = this.stageFor(service, identity);
    return stage === 'retired' ? 'retired' : legacyModeFor(stage).mode;
  }

  /** Socket.IO admission: throws SERVICE_ON_LEGACY (with the fallback) while the service is on its legacy endpoint. */
  admitSocket(service: HostedId, socket: Socket): void {
    const stage = this.stageFor(service, socketIdentity(socket));
    if (!socketIoOpen(stage)) throw this.#legacyRefusal(service, stage, 'SERVICE_ON_LEGACY');
  }

  /** Re-decide every open connection (flags changed). Synchronous: one pass, no awaits. */
  reevaluate(cause?: ChangeCause): SwitchReport {
    const started = performance.now();
    const { plans, logger, flags } = this.#options;
    // Services whose stage moved, and when their last connection was switched (for the switch duration).
    const moved = new Map<HostedId, { direction: 'cutover' | 'rollback'; lastAt: number }>();
    for (const service of plans.keys()) {
      const from = this.#base.get(service)!;
      const to = flags.baseStage(service);
      if (from === to) continue;
      this.#base.set(service, to);
      const at = new Date(this.#options.clock()).toISOString();
      this.#lastChange.set(service, at);
      const own = cause?.service === service ? cause : undefined;
      const source = own?.source ?? ('sourceOf' in flags && typeof flags.sourceOf === 'function' ? String(flags.sourceOf(service)) : flags.kind);
      const actor = own?.actor ?? flags.kind;
      this.record({ at, service, from, to, source, actor, ...(own?.details ? { details: own.details } : {}), ...(this.#options.nodeId ? { node: this.#options.nodeId } : {}) });
      logger.info({ service, from, to, source, actor, details: own?.details }, 'stage changed');
      moved.set(service, { direction: STAGES.indexOf(to) > STAGES.indexOf(from) ? 'cutover' : 'rollback', lastAt: started });
    }

    let legacySwitched = 0;
    for (const session of this.#legacySessions()) {
      if (!this.reconcile(session)) continue;
      legacySwitched++;
      const entry = moved.get(session.service);
      if (entry) entry.lastAt = performance.now();
    }

    let socketIoDisconnected = 0;
    for (const [service, namespace] of this.#namespaces) {
      for (const socket of namespace.sockets.values()) {
        const stage = this.stageFor(service, socketIdentity(socket));
        if (socketIoOpen(stage)) continue;
        const notice = this.#legacyRefusal(service, stage, 'STAGE_CHANGED');
        socket.emit('switchyard:stage', { code: notice.code, message: notice.message, ...notice.details });
        socket.disconnect(true);
        socketIoDisconnected++;
        const entry = moved.get(service);
        if (entry) entry.lastAt = performance.now();
      }
    }
    for (const [service, { direction, lastAt }] of moved) this.#options.onSwitch?.(service, direction, (lastAt - started) / 1000);
    this.#lastSwitch = { at: this.#options.clock(), durationMs: performance.now() - started, legacySwitched, socketIoDisconnected };
    return this.#lastSwitch;
  }

  /**
   * Serve one legacy session from the side its stage says now; true if it
   * moved. Also called when a session attaches: the stage may have changed
   * while its opening was awaited, before `reevaluate` could see it.
   */
  reconcile(session: LegacySession): boolean {
    const stage = this.stageFor(session.service, session.identity);
    const { mode, shadow } = legacyModeFor(stage);
    if (session.mode === mode && session.shadow === shadow) return false;
    if (session.mode !== mode) {
      const plan = this.#options.plans.get(session.service)!;
      session.notifyStage(stage, plan.socketio.namespace, this.#options.socketIoPath);
    }
    session.switchMode(mode, shadow);
    return true;
  }

  close(): void {
    this.#options.flags.off('changed', this.#onChanged);
  }

  #legacyRefusal(service: HostedId, stage: Stage, code: 'SERVICE_ON_LEGACY' | 'STAGE_CHANGED'): SwitchyardError {
    const plan = this.#options.plans.get(service)!;
    return new SwitchyardError(code, `${service} is served on its legacy endpoint (stage ${stage})`, {
      service, stage, fallback_url: plan.legacy.path,
    });
  }
}
