import { EventEmitter } from 'node:events';
import { UnleashEvents, type ClientFeaturesResponse, type UnleashConfig } from 'unleash-client';

/**
 * unleash-client's repository contract, through its public config type (the
 * interface itself is not exported, and the package has no "exports" map to
 * reach it otherwise).
 */
type RepositoryInterface = NonNullable<UnleashConfig['repository']>;
type Feature = ClientFeaturesResponse['features'][number];
type Segment = NonNullable<ClientFeaturesResponse['segments']>[number];
type EnhancedFeature = ReturnType<RepositoryInterface['getTogglesWithSegmentData']>[number];

export interface FeaturesRepositoryOptions {
  /** The client features endpoint, e.g. `http://unleash:4242/api/client/features`. */
  url: URL;
  /** Headers of every request (token, app name, instance and connection ids). */
  headers: Readonly<Record<string, string>>;
  /** Poll interval in ms. */
  refreshInterval: number;
  /** Timeout of one request, in ms. */
  timeout: number;
  /** A poll or refresh that brought no flags (unreachable, refused, bad body): why. */
  onFailure(error: string): void;
  /** New flags from Unleash (not from `restore`): the whole response, to keep as the last known. */
  onFlags?(response: ClientFeaturesResponse): void;
}

/** Slowest poll after failures, as a multiple of the interval (the SDK backs off too). */
const MAX_BACKOFF = 10;

/**
 * The flags as Switchyard fetches them, handed to `unleash-client` through
 * its public `repository` option, so that the SDK evaluates strategies,
 * variants, constraints and segments while we own the fetching:
 * - `refresh()` polls now and re-arms the timer (the SDK has no public
 *   "fetch now", and its own fetch would add a second polling loop);
 * - failures come to `onFailure` as they happen, not as SDK error events whose
 *   text would have to be told apart from metrics failures.
 *
 * Like the SDK's own repository it emits `changed` on a new body (and `ready`
 * once, a tick later) and `unchanged` on a 304; it keeps the last flags when
 * Unleash is unreachable, in memory only.
 */
export class FeaturesRepository extends EventEmitter implements RepositoryInterface {
  readonly #options: FeaturesRepositoryOptions;
  #features = new Map<string, Feature>();
  #segments = new Map<number, Segment>();
  #etag: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  #abort: AbortController | undefined;
  /** Polls run one after another. */
  #polling: Promise<void> = Promise.resolve();
  #failures = 0;
  #ready = false;
  /** Whether the flags held came from Unleash itself (false while only restored ones are held). */
  #fromUnleash = false;
  #started = false;
  #stopped = false;

  constructor(options: FeaturesRepositoryOptions) {
    super();
    this.#options = options;
  }

  getToggle(name: string): Feature | undefined {
    return this.#features.get(name);
  }

  getToggles(): Feature[] {
    return [...this.#features.values()];
  }

  getTogglesWithSegmentData(): EnhancedFeature[] {
    return this.getToggles().map((feature) => ({
      ...feature,
      strategies: feature.strategies?.map(({ segments, ...strategy }) => ({ ...strategy, segments: segments?.map((id) => this.#segments.get(id)) })),
    })) as EnhancedFeature[];
  }

  getSegment(id: number): Segment | undefined {
    return this.#segments.get(id);
  }

  /** Whether the flags held came from Unleash (not from `restore`). */
  get fromUnleash(): boolean {
    return this.#fromUnleash;
  }

  /**
   * Hold flags saved from an earlier run (Unleash unreachable at start), as
   * if Unleash had sent them, without counting them as from Unleash; the next
   * answer from Unleash replaces them.
   */
  restore(response: ClientFeaturesResponse): void {
    if (this.#stopped || this.#fromUnleash) return;
    this.#accept(response);
  }

  /** Called by `Unleash#start()`: the first poll, then one every interval. */
  async start(): Promise<void> {
    if (this.#started || this.#stopped) return;
    this.#started = true;
    await this.poll();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#abort?.abort();
  }

  /** Fetch now (also before start(): the admin refresh may come first), then poll on from here. Never rejects. */
  poll(): Promise<void> {
    this.#polling = this.#polling.then(() => this.#fetchOnce());
    return this.#polling;
  }

  async #fetchOnce(): Promise<void> {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    const abort = new AbortController();
    this.#abort = abort;
    try {
      const response = await fetch(this.#options.url, {
        headers: { ...this.#options.headers, ...(this.#etag ? { 'If-None-Match': this.#etag } : {}) },
        signal: AbortSignal.any([abort.signal, AbortSignal.timeout(this.#options.timeout)]),
      });
      if (response.status === 304) {
        this.#failures = 0;
        this.emit(UnleashEvents.Unchanged);
      } else if (!response.ok) {
        throw new Error(`${this.#options.url.href} responded ${response.status}`);
      } else {
        const body = (await response.json()) as unknown;
        if (!isFeaturesResponse(body)) throw new Error(`${this.#options.url.href} answered something other than client features`);
        if (this.#stopped) return;
        this.#failures = 0;
        this.#etag = response.headers.get('etag') ?? undefined;
        this.#fromUnleash = true;
        this.#options.onFlags?.(body);
        this.#accept(body);
      }
    } catch (error) {
      if (abort.signal.aborted) return;
      this.#failures += 1;
      this.#options.onFailure(describe(error));
    } finally {
      if (this.#started && !this.#stopped) {
        const delay = this.#options.refreshInterval * Math.min(1 + this.#failures, MAX_BACKOFF);
        this.#timer = setTimeout(() => void this.poll(), delay);
        this.#timer.unref();
      }
    }
  }

  #accept(body: ClientFeaturesResponse): void {
    this.#features = new Map(body.features.map((feature) => [feature.name, feature]));
    this.#segments = new Map((body.segments ?? []).map((segment) => [segment.id, segment]));
    // The SDK's order: 'changed' now, 'ready' (once) on the next tick.
    this.emit(UnleashEvents.Changed, this.getToggles());
    if (!this.#ready) {
      this.#ready = true;
      process.nextTick(() => this.emit(UnleashEvents.Ready));
    }
  }
}

function isFeaturesResponse(body: unknown): body is ClientFeaturesResponse {
  return typeof body === 'object' && body !== null && Array.isArray((body as { features?: unknown }).features);
}

/** fetch() says "fetch failed"; the reason (ECONNREFUSED, a timeout) is its cause. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ((error.cause as NodeJS.ErrnoException).code ?? error.cause.message) : undefined;
  return cause ? `${error.message}: ${cause}` : error.message;
}
