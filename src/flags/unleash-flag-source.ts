import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Unleash, UnleashEvents, type ClientFeaturesResponse, type Context } from 'unleash-client';
import type { HostedId } from '../registry/contracts.js';
import type { FlagContext, FlagSource, FlagSourceStatus } from './flag-source.js';
import { defaultFlagName, defaultStage, resolveFlagNames, silentFlagLogger, type FlagLogger } from './plan-flag-source.js';
import { isStage, type Stage } from './stage.js';
import type { LastKnownStore } from './last-known.js';
import { FeaturesRepository } from './unleash-repository.js';

/** A flag definition, as the SDK returns it (its type is not exported by name). */
type FeatureInterface = NonNullable<ReturnType<Unleash['getFeatureToggleDefinition']>>;

const WAITING = 'waiting for the first sync';

export interface UnleashFlagSourceOptions {
  /** Unleash API base the SDK polls, e.g. `http://unleash:4242/api`. Required. */
  url: string;
  /** A client API token, sent as the `Authorization` header. Default: none (open server). */
  apiToken?: string;
  /** SDK `appName`, shown in Unleash's applications list. Default `'switchyard'`. */
  appName?: string;
  /** SDK static context `environment` (strategy constraints can use it). Default: the SDK's `'default'`. */
  environment?: string;
  /** Poll interval in ms. Default 5000. */
  refreshInterval?: number;
  /** Do not send usage metrics to Unleash. Default false. */
  disableMetrics?: boolean;
  /** How long start() waits for the first sync, in ms. Default 5000. */
  startTimeout?: number;
  /** Timeout of one HTTP request to Unleash, in ms. Default 10000 (the SDK's). */
  requestTimeout?: number;
  /** Instance id reported to Unleash. Default: a random UUID per source. */
  instanceId?: string;
  /** Stages answered before the first sync (plan stages). Required. */
  defaults: Record<HostedId, Stage>;
  /** Flag name per service (the plan's `flag`). Default `switchyard.<service-id>`. */
  flagNames?: Partial<Record<HostedId, string>>;
  /** Where sync failures are reported. Default: silent. */
  logger?: FlagLogger;
  /**
   * Where the flags Unleash delivers are saved, and read back when a start
   * finds Unleash unreachable (instead of answering `defaults`). Default: none.
   */
  lastKnown?: LastKnownStore;
}

/**
 * Stages from a real Unleash server, one flag per service, through exactly one
 * `unleash-client` instance.
 *
 * Mapping, evaluated per client: flag off (or unknown) → `legacy`; on → the
 * variant's name when it is a stage (`shadow`, `retired`, …), else
 * `socketio`. A gradual rollout is a `flexibleRollout` strategy with
 * `stickiness: clientId`.
 *
 * Context passed to Unleash: the stickiness key (`clientId`, else
 * `remoteAddress`) goes in `properties.clientId` and also in `userId` and
 * `sessionId`, so a strategy left on Unleash's `stickiness: default` is sticky
 * per client too instead of random on every connection; `remoteAddress` is
 * passed as is for the remoteAddress strategy.
 *
 * Before the first sync it answers `defaults`. After that it answers from the
 * last flags it received: the SDK keeps them in memory (an in-memory storage
 * provider, so nothing is written to disk) while Unleash is unreachable.
 */
export class UnleashFlagSource extends EventEmitter implements FlagSource {
  readonly kind = 'unleash' as const;
  readonly #client: Unleash;
  readonly #repository: FeaturesRepository;
  readonly #defaults: Readonly<Record<HostedId, Stage>>;
  readonly #flagNames: Record<HostedId, string>;
  readonly #featuresUrl: URL;
  readonly #headers: Record<string, string>;
  readonly #startTimeout: number;
  readonly #requestTimeout: number;
  readonly #logger: FlagLogger;
  readonly #lastKnown: LastKnownStore | undefined;
  /** Set while the flags served are the saved ones, until Unleash answers. */
  #servingLastKnown: { savedAt: number; store: string } | undefined;

  /**
   * True once flags came from Unleash and the SDK evaluates them; before that
   * `defaults` answer. The SDK's 'changed' fires a tick before it will answer
   * from the new flags (it flips to ready on a later 'ready' event), so the
   * first sync completes on 'ready', not on 'changed'.
   */
  #synced = false;
  #clientReady = false;
  /** Resolves the pending start(), once the first sync is complete. */
  #onFirstSync: (() => void) | undefined;
  /** The definitions of our flags as last seen; 'changed' only when it differs. */
  #fingerprint: string | undefined;
  #status: FlagSourceStatus = { kind: 'unleash', healthy: false, error: WAITING };
  #started: Promise<void> | undefined;
  #closed = false;

  constructor(options: UnleashFlagSourceOptions) {
    super();
    const appName = options.appName ?? 'switchyard';
    const refreshInterval = options.refreshInterval ?? 5000;
    const instanceId = options.instanceId ?? randomUUID();
    const connectionId = randomUUID();
    const customHeaders: Record<string, string> = options.apiToken ? { Authorization: options.apiToken } : {};
    const baseUrl = options.url.endsWith('/') ? options.url : `${options.url}/`;
    this.#defaults = Object.freeze({ ...options.defaults });
    this.#flagNames = resolveFlagNames(options.flagNames, Object.keys(options.defaults));
    this.#featuresUrl = new URL('client/features', baseUrl);
    this.#headers = {
      ...customHeaders,
      'unleash-appname': appName,
      'unleash-instanceid': instanceId,
      'unleash-connection-id': connectionId,
    };
    this.#startTimeout = options.startTimeout ?? 5000;
    this.#requestTimeout = options.requestTimeout ?? 10_000;
    this.#logger = options.logger ?? silentFlagLogger;
    this.#lastKnown = options.lastKnown;

    this.#repository = new FeaturesRepository({
      url: this.#featuresUrl,
      headers: this.#headers,
      refreshInterval,
      timeout: this.#requestTimeout,
      onFailure: (error) => {
        if (!this.#closed) this.#markUnhealthy(error);
      },
      onFlags: (response) => this.#saveLastKnown(response),
    });
    this.#client = new Unleash({
      url: baseUrl,
      appName,
      instanceId,
      refreshInterval,
      timeout: this.#requestTimeout,
      customHeaders,
      disableMetrics: options.disableMetrics ?? false,
      repository: this.#repository,
      disableAutoStart: true,
      environment: options.environment,
    });
    this.#client.on(UnleashEvents.Error, this.#clientOnError);
    this.#client.on(UnleashEvents.Warn, this.#clientOnWarn);
    this.#client.on(UnleashEvents.Changed, this.#clientOnChanged);
    this.#client.once(UnleashEvents.Ready, this.#clientOnReady);
    this.#client.on(UnleashEvents.Unchanged, this.#clientOnUnchanged);
  }

  stageFor(service: HostedId, context: FlagContext): Stage {
    if (!this.#synced) return defaultStage(this.#defaults, service);
    const variant = this.#client.getVariant(this.#flagName(service), toUnleashContext(context));
    if (!variant.feature_enabled) return 'legacy';
    return variant.enabled && isStage(variant.name) ? variant.name : 'socketio';
  }

  /**
   * `legacy` when the flag is off or absent, else the stage of a client that
   * every strategy lets in (the variant's stage, or `socketio`): what the
   * admin API shows as "the" stage of a service under a partial rollout.
   */
  baseStage(service: HostedId): Stage {
    if (!this.#synced) return defaultStage(this.#defaults, service);
    const definition = this.#client.getFeatureToggleDefinition(this.#flagName(service));
    if (!definition?.enabled) return 'legacy';
    return variantStage(definition) ?? 'socketio';
  }

  #flagName(service: HostedId): string {
    return this.#flagNames[service] ?? defaultFlagName(service);
  }

  status(): FlagSourceStatus {
    return { ...this.#status, ...(this.#servingLastKnown ? { lastKnown: { ...this.#servingLastKnown } } : {}) };
  }

  /** Starts polling; resolves on the first sync or after `startTimeout`. Never rejects. */
  start(): Promise<void> {
    this.#started ??= new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#onFirstSync = undefined;
        if (!this.#synced && !this.#closed) {
          const reason = this.#status.error === WAITING ? `no answer from ${this.#featuresUrl.href}` : this.#status.error;
          this.#setStatus({ ...this.#status, healthy: false, error: `no sync within ${this.#startTimeout} ms: ${reason}` });
          void this.#restoreLastKnown().finally(resolve);
          return;
        }
        resolve();
      };
      const timer = setTimeout(done, this.#startTimeout);
      this.#onFirstSync = done;
      // Unleash#start only rejects on programming errors; failures to reach the
      // server arrive as 'error' events.
      this.#client.start().catch((error: unknown) => this.#clientOnError(toError(error)));
      // A refresh() before start() may have synced already.
      if (this.#synced) done();
    });
    return this.#started;
  }

  /**
   * Fetches the flags now instead of at the next poll (our repository polls,
   * see unleash-repository.ts). Never rejects: the outcome shows in `status()`.
   */
  async refresh(): Promise<void> {
    if (this.#closed) return;
    await this.#repository.poll();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#onFirstSync?.();
    // destroy() stops the repository too (no poll in flight outlives it).
    this.#client.destroy();
  }

  readonly #clientOnReady = (): void => {
    this.#clientReady = true;
    this.#clientOnChanged();
  };

  readonly #clientOnChanged = (): void => {
    if (this.#closed) return;
    if (this.#servingLastKnown && this.#repository.fromUnleash) {
      this.#logger.info({ url: this.#featuresUrl.href }, 'unleash reachable again; the saved flags are replaced by its answer');
      this.#servingLastKnown = undefined;
    }
    if (!this.#servingLastKnown) this.#markHealthy();
    if (!this.#clientReady) return;
    this.#synced = true;
    this.#onFirstSync?.();
    const fingerprint = JSON.stringify(
      Object.values(this.#flagNames).map((flag) => this.#client.getFeatureToggleDefinition(flag) ?? null),
    );
    // The SDK reports a change for any flag of the project; ours may not have moved.
    if (fingerprint === this.#fingerprint) return;
    this.#fingerprint = fingerprint;
    this.emit('changed');
  };

  readonly #clientOnUnchanged = (): void => {
    if (this.#closed) return;
    // A 304 proves Unleash is reachable again, but only counts as a sync once
    // we hold flags from it.
    if (this.#synced) this.#markHealthy();
  };

  readonly #clientOnError = (error: Error): void => {
    if (this.#closed) return;
    // Failures to fetch flags come from our repository (onFailure); what the
    // SDK reports itself (metrics, its instance count) is worth a log line,
    // not an unhealthy /ready.
    this.#logger.warn({ error: error.message }, 'unleash client error');
  };

  readonly #clientOnWarn = (message: unknown): void => {
    if (this.#closed) return;
    const text = message instanceof Error ? message.message : String(message);
    this.#logger.warn({ warning: text }, 'unleash client warning');
  };

  #saveLastKnown(response: ClientFeaturesResponse): void {
    const store = this.#lastKnown;
    if (!store) return;
    store.save({ savedAt: Date.now(), response }).catch((error: unknown) => {
      this.#logger.warn({ error: toError(error).message, store: store.describe }, 'could not save the last known flags');
    });
  }

  /** Start without Unleash: serve the flags it last delivered, if any were saved. */
  async #restoreLastKnown(): Promise<void> {
    const store = this.#lastKnown;
    if (!store) return;
    const saved = await store.load();
    if (!saved || this.#synced || this.#closed) {
      if (!saved) this.#logger.warn({ store: store.describe }, 'unleash unreachable at start and no saved flags: serving the plans\' stages');
      return;
    }
    this.#servingLastKnown = { savedAt: saved.savedAt, store: store.describe };
    this.#repository.restore(saved.response);
    // The SDK declares itself ready on the next tick; our state follows it.
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.#logger.error(
      { store: store.describe, savedAt: new Date(saved.savedAt).toISOString(), url: this.#featuresUrl.href },
      'unleash unreachable at start: serving the last flags it delivered (degraded)',
    );
    this.emit('status', this.status());
  }

  #markHealthy(): void {
    this.#setStatus({ kind: 'unleash', healthy: true, lastSyncAt: Date.now() });
  }

  #markUnhealthy(error: string): void {
    if (this.#status.error !== error) {
      this.#logger.error({ url: this.#featuresUrl.href, error }, 'unleash unreachable; keeping the last known flags');
    }
    this.#setStatus({ ...this.#status, healthy: false, error });
  }

  #setStatus(next: FlagSourceStatus): void {
    const previous = this.#status;
    this.#status = next;
    if (previous.healthy !== next.healthy || previous.error !== next.error) this.emit('status', this.status());
  }
}

/** See the class comment for why the key is copied into three fields. */
function toUnleashContext(context: FlagContext): Context {
  const stickyId = context.clientId ?? context.remoteAddress;
  const unleashContext: Context = {};
  if (stickyId !== undefined) {
    unleashContext.userId = stickyId;
    unleashContext.sessionId = stickyId;
    unleashContext.properties = { clientId: stickyId };
  }
  if (context.remoteAddress !== undefined) unleashContext.remoteAddress = context.remoteAddress;
  return unleashContext;
}

/**
 * The stage named by the heaviest variant: feature-level (legacy environment)
 * variants first, else the first strategy that carries variants (Unleash 6's
 * strategy variants). Undefined when there are none or the name is no stage.
 */
function variantStage(definition: FeatureInterface): Stage | undefined {
  const variants =
    definition.variants && definition.variants.length > 0
      ? definition.variants
      : definition.strategies?.find((strategy) => (strategy.variants?.length ?? 0) > 0)?.variants;
  const heaviest = variants?.reduce((best, variant) => (variant.weight > best.weight ? variant : best));
  return heaviest && isStage(heaviest.name) ? heaviest.name : undefined;
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
