import { EventEmitter } from 'node:events';
import { SERVICE_IDS, type HostedId } from '../registry/contracts.js';
import type { ChangeCause, FlagContext, FlagSource, FlagSourceKind, FlagSourceStatus } from './flag-source.js';
import { isStage, type Stage } from './stage.js';

/** Where the stage of a service comes from right now. */
export type StageOrigin = 'override' | FlagSourceKind;

/**
 * Local, per-service overrides in front of any flag source: the operator's
 * emergency lever ("put agent-chat back on legacy now"), which works the same
 * whether the stages come from the plans, a file or Unleash, and even while
 * Unleash is down.
 *
 * An override wins over the inner source for every client (rollouts
 * included) until cleared. Embedded, overrides live in memory only: a
 * restart drops them, on purpose, so a forgotten override cannot outlive the
 * incident. In cluster mode they are stored in Redis (src/cluster/), since a
 * rolling restart must not undo a rollback; the Redis copy is the truth and
 * this class holds the node's view of it.
 *
 * Forwards the inner source's `'changed'` and `'status'` events and emits
 * `'changed'` itself, synchronously, when an override changes the answer.
 */
export class OverrideFlagSource extends EventEmitter implements FlagSource {
  /** The wrapped source; only this class subscribes to it. */
  readonly inner: FlagSource;
  /** Owned by setOverride/clearOverride only. */
  readonly #overrides = new Map<HostedId, Stage>();

  readonly #services: ReadonlySet<HostedId>;

  /** `services`: the hosted services an override may name (default the registry's). */
  constructor(inner: FlagSource, services: readonly HostedId[] = SERVICE_IDS) {
    super();
    this.inner = inner;
    this.#services = new Set(services);
    inner.on('changed', this.#innerOnChanged);
    inner.on('status', this.#innerOnStatus);
  }

  /** The inner source's kind: overrides are a layer, not a backend. */
  get kind(): FlagSourceKind {
    return this.inner.kind;
  }

  stageFor(service: HostedId, context: FlagContext): Stage {
    return this.#overrides.get(service) ?? this.inner.stageFor(service, context);
  }

  baseStage(service: HostedId): Stage {
    return this.#overrides.get(service) ?? this.inner.baseStage(service);
  }

  status(): FlagSourceStatus {
    return this.inner.status();
  }

  /** None while overridden: an override puts every client on one stage. */
  rollout(service: HostedId): { stage: Stage; percent: number } | undefined {
    return this.#overrides.has(service) ? undefined : this.inner.rollout?.(service);
  }

  start(): Promise<void> {
    return this.inner.start();
  }

  refresh(): Promise<void> {
    return this.inner.refresh();
  }

  /** Closes the inner source too: the wrapper owns it. */
  async close(): Promise<void> {
    this.inner.off('changed', this.#innerOnChanged);
    this.inner.off('status', this.#innerOnStatus);
    await this.inner.close();
  }

  /** Whether `service` is one this source answers for (a hosted service). */
  hosts(service: string): service is HostedId {
    return this.#services.has(service);
  }

  /**
   * Serves `service` on `stage` for every client until cleared. `actor`
   * (the admin token's name) goes with the `'changed'` event into the audit
   * trail, and so does `why` (a source other than `override`, and details).
   * @throws {RangeError} for an unknown service or stage (admin input is checked here too).
   */
  setOverride(service: HostedId, stage: Stage, actor = 'override', why: Pick<ChangeCause, 'source' | 'details'> = {}): void {
    if (!this.#services.has(service)) throw new RangeError(`unknown service: ${String(service)}`);
    if (!isStage(stage)) throw new RangeError(`unknown stage: ${String(stage)}`);
    if (this.#overrides.get(service) === stage) return;
    this.#overrides.set(service, stage);
    this.emit('changed', { service, actor, ...why } satisfies ChangeCause);
  }

  /** Hands `service` back to the inner source. No-op (no event) without an override. */
  clearOverride(service: HostedId, actor = 'override'): void {
    if (this.#overrides.delete(service)) this.emit('changed', { service, actor } satisfies ChangeCause);
  }

  /** A snapshot of the overrides in force. */
  overrides(): Partial<Record<HostedId, Stage>> {
    return Object.fromEntries(this.#overrides);
  }

  /** `'override'` while `service` is overridden, else the inner source's kind. */
  sourceOf(service: HostedId): StageOrigin {
    return this.#overrides.has(service) ? 'override' : this.inner.kind;
  }

  readonly #innerOnChanged = (): void => {
    this.emit('changed');
  };

  readonly #innerOnStatus = (status: FlagSourceStatus): void => {
    this.emit('status', status);
  };
}
