import type { Logger } from 'pino';
import type { Namespace, Socket } from 'socket.io';
import type { ServicePlan } from '../adapter/plan-schema.js';
import type { LegacyMode, LegacySession } from '../bridge/legacy-session.js';
import type { Clock } from '../domain/clock.js';
import { SwitchyardError } from '../errors/catalogue.js';
import type { ChangeCause, FlagContext, FlagSource } from '../flags/flag-source.js';
import type { Stage } from '../flags/stage.js';
import type { ServiceId } from '../registry/contracts.js';
import { AuditTrail, type AuditLog } from './audit-trail.js';
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
  plans: ReadonlyMap<ServiceId, ServicePlan>;
  clock: Clock;
  logger: Logger;
  socketIoPath: string;
  /** Record one stage change in metrics. */
  onStageChange?: (service: ServiceId, to: Stage) => void;
  /** Shadow result in metrics. */
  onShadowResult?: (service: ServiceId, match: boolean) => void;
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
export class StageController {
  readonly audit: AuditLog;
  readonly shadow: ShadowRecorder;
  readonly #options: StageControllerOptions;
  readonly #base = new Map<ServiceId, Stage>();
  readonly #lastChange = new Map<ServiceId, string>();
  #legacySessions: () => Iterable<LegacySession> = () => [];
  #namespaces: ReadonlyMap<ServiceId, Namespace> = new Map();
  #lastSwitch: SwitchReport | undefined;
  readonly #onChanged = (cause?: ChangeCause): void => {
    this.reevaluate(cause);
  };

  constructor(options: StageControllerOptions) {
    this.#options = options;
    this.audit = options.audit ?? new AuditTrail();
    this.shadow = new ShadowRecorder({ onResult: options.onShadowResult });
    for (const service of options.plans.keys()) this.#base.set(service, options.flags.baseStage(service));
    options.flags.on('changed', this.#onChanged);
  }

  get flags(): FlagSource {
    return this.#options.flags;
  }

  /** Connect the controller to the live connections it must re-decide. */
  bind(legacySessions: () => Iterable<LegacySession>, namespaces: ReadonlyMap<ServiceId, Namespace>): void {
    this.#legacySessions = legacySessions;
    this.#namespaces = namespaces;
  }

  /** Open connections of a service on each transport (local to this instance). */
  connections(service: ServiceId): { legacy: number; socketio: number } {
    let legacy = 0;
    for (const session of this.#legacySessions()) if (session.service === service) legacy++;
    return { legacy, socketio: this.#namespaces.get(service)?.sockets.size ?? 0 };
  }

  stageFor(service: ServiceId, identity: FlagContext): Stage {
    return this.#options.flags.stageFor(service, identity);
  }

  baseStage(service: ServiceId): Stage {
    return this.#base.get(service) ?? this.#options.flags.baseStage(service);
  }

  lastChange(service: ServiceId): string | undefined {
    return this.#lastChange.get(service);
  }

  get lastSwitch(): SwitchReport | undefined {
    return this.#lastSwitch;
  }

  /** For a new legacy connection: its mode, or `retired` to refuse it. */
  decideLegacy(service: ServiceId, identity: FlagContext): LegacyMode | 'retired' {
    const stage = this.stageFor(service, identity);
    return stage === 'retired' ? 'retired' : legacyModeFor(stage).mode;
  }

  /** Socket.IO admission: throws SERVICE_ON_LEGACY (with the fallback) while the service is on its legacy endpoint. */
  admitSocket(service: ServiceId, socket: Socket): void {
    const stage = this.stageFor(service, socketIdentity(socket));
    if (!socketIoOpen(stage)) throw this.#legacyRefusal(service, stage, 'SERVICE_ON_LEGACY');
  }

  /** Re-decide every open connection (flags changed). Synchronous: one pass, no awaits. */
  reevaluate(cause?: ChangeCause): SwitchReport {
    const started = performance.now();
    const { plans, logger, flags } = this.#options;
    for (const service of plans.keys()) {
      const from = this.#base.get(service)!;
      const to = flags.baseStage(service);
      if (from === to) continue;
      this.#base.set(service, to);
      const at = new Date(this.#options.clock()).toISOString();
      this.#lastChange.set(service, at);
      const source = 'sourceOf' in flags && typeof flags.sourceOf === 'function' ? String(flags.sourceOf(service)) : flags.kind;
      const actor = cause?.service === service ? cause.actor : flags.kind;
      this.audit.add({ at, service, from, to, source, actor, ...(this.#options.nodeId ? { node: this.#options.nodeId } : {}) });
      logger.info({ service, from, to, source, actor }, 'stage changed');
      this.#options.onStageChange?.(service, to);
    }

    let legacySwitched = 0;
    for (const session of this.#legacySessions()) if (this.reconcile(session)) legacySwitched++;

    let socketIoDisconnected = 0;
    for (const [service, namespace] of this.#namespaces) {
      for (const socket of namespace.sockets.values()) {
        const stage = this.stageFor(service, socketIdentity(socket));
        if (socketIoOpen(stage)) continue;
        const notice = this.#legacyRefusal(service, stage, 'STAGE_CHANGED');
        socket.emit('switchyard:stage', { code: notice.code, message: notice.message, ...notice.details });
        socket.disconnect(true);
        socketIoDisconnected++;
      }
    }
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

  #legacyRefusal(service: ServiceId, stage: Stage, code: 'SERVICE_ON_LEGACY' | 'STAGE_CHANGED'): SwitchyardError {
    const plan = this.#options.plans.get(service)!;
    return new SwitchyardError(code, `${service} is served on its legacy endpoint (stage ${stage})`, {
      service, stage, fallback_url: plan.legacy.path,
    });
  }
}
