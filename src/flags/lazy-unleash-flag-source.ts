import { EventEmitter } from 'node:events';
import type { HostedId } from '../registry/contracts.js';
import { defaultStage } from './plan-flag-source.js';
import type { ChangeCause, FlagContext, FlagSource, FlagSourceStatus } from './flag-source.js';
import type { Stage } from './stage.js';
import type { UnleashFlagSource, UnleashFlagSourceOptions } from './unleash-flag-source.js';

/**
 * An {@link UnleashFlagSource} whose module (and `unleash-client`, with its
 * HTTP stack, cache and telemetry dependencies: about a fifth of a fresh
 * server's memory) is imported on `start()`, so a server configured without
 * Unleash never loads it. Until the real source exists it answers exactly as
 * an unsynced UnleashFlagSource does: the plan defaults, status "waiting".
 * Forwards the real source's `'changed'` and `'status'` events.
 */
export class LazyUnleashFlagSource extends EventEmitter implements FlagSource {
  readonly kind = 'unleash' as const;
  readonly #options: UnleashFlagSourceOptions;
  #inner: UnleashFlagSource | undefined;
  #loading: Promise<UnleashFlagSource | undefined> | undefined;
  #closed = false;

  constructor(options: UnleashFlagSourceOptions) {
    super();
    this.#options = { ...options, defaults: Object.freeze({ ...options.defaults }) };
  }

  stageFor(service: HostedId, context: FlagContext): Stage {
    return this.#inner ? this.#inner.stageFor(service, context) : defaultStage(this.#options.defaults, service);
  }

  baseStage(service: HostedId): Stage {
    return this.#inner ? this.#inner.baseStage(service) : defaultStage(this.#options.defaults, service);
  }

  status(): FlagSourceStatus {
    return this.#inner ? this.#inner.status() : { kind: 'unleash', healthy: false, error: 'waiting for the first sync' };
  }

  async start(): Promise<void> {
    const inner = await this.#load();
    await inner?.start();
  }

  async refresh(): Promise<void> {
    const inner = await this.#load();
    await inner?.refresh();
  }

  async close(): Promise<void> {
    this.#closed = true;
    const inner = await this.#loading;
    if (!inner) return;
    inner.off('changed', this.#onChanged);
    inner.off('status', this.#onStatus);
    await inner.close();
  }

  #load(): Promise<UnleashFlagSource | undefined> {
    this.#loading ??= import('./unleash-flag-source.js').then(({ UnleashFlagSource }) => {
      if (this.#closed) return undefined;
      const inner = new UnleashFlagSource(this.#options);
      inner.on('changed', this.#onChanged);
      inner.on('status', this.#onStatus);
      this.#inner = inner;
      return inner;
    });
    return this.#loading;
  }

  readonly #onChanged = (...cause: [ChangeCause?]): void => {
    this.emit('changed', ...cause);
  };

  readonly #onStatus = (status: FlagSourceStatus): void => {
    this.emit('status', status);
  };
}
