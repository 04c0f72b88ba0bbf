import { randomUUID } from 'node:crypto';
import { pythonLocalIso } from '../../domain/clock.js';
import { SwitchyardError } from '../../errors/catalogue.js';
import type { ServiceContext } from '../service-module.js';
import { embeddedStore, type EntityMap } from '../../domain/entity-store.js';
import { assertCapacity, assertEntityBytes, checkEntityBytes, ByteBudget, DEFAULT_STORAGE_LIMITS, IdleExpiry, type StorageLimits } from '../storage-limits.js';
import { crawlRoom, type CrawlProgressState } from './events.js';
import { publisherFor } from '../../domain/publisher.js';
import { knowledgeItems } from '../knowledge-items/contract.js';
import { crawlProgress } from './contract.js';

/** Keys a progress update may not overwrite: they belong to the tracker. */
const RESERVED = new Set(['progressId', 'logs', 'start_time', 'updated_at', 'completed_at']);

export interface CrawlStart {
  progressId?: string;
  currentUrl?: string;
  /** Extra fields kept in the state (e.g. `uploadType`, `fileName`). */
  [extra: string]: unknown;
}

/**
 * Crawl progress, as the legacy `CrawlProgressManager` kept it: one flat state
 * per crawl, logs accumulated, the whole state re-sent on every change.
 * Key order matters on the legacy wire: new keys are appended, existing keys
 * keep their place (Python dict semantics, which JS objects share).
 *
 * Bounded (see `StorageLimits`): live crawls in number, `logs` to the newest
 * lines, a state's JSON in bytes (an update beyond it is refused and changes
 * nothing), and a crawl with no update for the idle TTL is dropped.
 */
export class CrawlProgressDomain {
  readonly #ctx: ServiceContext;
  readonly #states: EntityMap<CrawlProgressState>;
  readonly #cleanups = new Map<string, NodeJS.Timeout>();
  readonly #retentionMs: number;
  readonly #limits: StorageLimits;
  readonly #idle: IdleExpiry;
  readonly #budget: ByteBudget;

  constructor(ctx: ServiceContext, options: { completedRetentionMs?: number } = {}) {
    this.#ctx = ctx;
    // The legacy server forgot finished crawls after 300 s.
    this.#retentionMs = options.completedRetentionMs ?? 300_000;
    this.#limits = ctx.storage ?? DEFAULT_STORAGE_LIMITS;
    this.#idle = new IdleExpiry(this.#limits.idleTtlMs, ctx.clock, (id) => this.#forget(id));
    this.#budget = new ByteBudget(this.#limits.serviceBytes, 'crawls');
    const store = ctx.store ?? embeddedStore;
    this.#states = store.map('crawl-progress');
    // Another node's update keeps a crawl alive here too (each node runs its own idle expiry).
    store.onRemoteChange('crawl-progress', (id) => {
      if (this.#states.has(id) && !this.#cleanups.has(id)) this.#idle.touch(id);
    });
  }

  get(progressId: string): CrawlProgressState | undefined {
    return this.#states.get(progressId);
  }

  ids(): string[] {
    return [...this.#states.keys()];
  }

  start(input: CrawlStart): CrawlProgressState {
    const progressId = input.progressId ?? randomUUID();
    if (this.#states.has(progressId)) throw new SwitchyardError('INVALID_PAYLOAD', `crawl ${progressId} already started`);
    assertCapacity(this.#states.size, this.#limits.maxEntities, 'crawls');
    const { progressId: _ignored, currentUrl, ...fields } = input;
    // The tracker's own keys (`logs` above all: it is appended to) are not the producer's to set.
    const extra = Object.fromEntries(Object.entries(fields).filter(([key]) => !RESERVED.has(key)));
    const state: CrawlProgressState = {
      status: 'starting',
      percentage: 0,
      start_time: this.#now(),
      logs: [currentUrl ? `Starting crawl of ${currentUrl}` : 'Starting crawl...'],
      progressId,
      currentUrl: currentUrl ?? '',
      totalPages: 0,
      processedPages: 0,
      eta: 'Calculating...',
      ...extra,
    };
    this.#commit(state);
    this.#idle.touch(progressId);
    return state;
  }

  /** A progress callback: status, percentage, the latest `log`, any extra kwargs. */
  update(progressId: string, update: Record<string, unknown>): CrawlProgressState {
    const state = this.#draft(progressId);
    for (const [key, value] of Object.entries(update)) {
      if (!RESERVED.has(key)) state[key] = value;
    }
    if (typeof update.log === 'string') state.logs.push(update.log);
    state.updated_at = this.#now();
    this.#commit(state);
    this.#idle.touch(progressId);
    return state;
  }

  complete(progressId: string, result: Record<string, unknown> = {}): CrawlProgressState {
    const state = this.#draft(progressId);
    const log = typeof result.log === 'string' ? result.log : 'Crawling completed successfully';
    state.status = 'completed';
    state.percentage = 100;
    state.logs.push(log);
    state.log = log;
    state.completed_at = this.#now();
    for (const [key, value] of Object.entries(result)) if (!RESERVED.has(key) && key !== 'log') state[key] = value;
    this.#commit(state);
    const url = state.currentUrl ?? '';
    publisherFor(this.#ctx.hub, knowledgeItems).publish(knowledgeItems.room({}), 'crawl_completed', {
      url, success: true, message: `Crawling completed for ${url}`, progressId,
    });
    this.#scheduleCleanup(progressId);
    return state;
  }

  /** Errors go out as ordinary progress with `status: "error"` (the legacy quirk). */
  fail(progressId: string, error: string): CrawlProgressState {
    const state = this.#draft(progressId);
    state.status = 'error';
    state.error = error;
    state.logs.push(`Error: ${error}`);
    state.completed_at = this.#now();
    this.#commit(state);
    this.#scheduleCleanup(progressId);
    return state;
  }

  close(): void {
    for (const timer of this.#cleanups.values()) clearTimeout(timer);
    this.#cleanups.clear();
    this.#idle.close();
  }

  /** How many crawls are held (finished ones until their retention ends), for tests and metrics. */
  get size(): number {
    return this.#states.size;
  }

  /**
   * A new version of the live state to change (the committed one is frozen):
   * top-level keys and the `logs` array are copied, nothing deeper, since no
   * version is ever changed once committed. Committed only if it stays within
   * the limits.
   */
  #draft(progressId: string): CrawlProgressState {
    const state = this.#require(progressId);
    return { ...state, logs: [...state.logs] };
  }

  /**
   * Keep the newest log lines (by count, then as many as fit the byte limit),
   * refuse a state still oversized (413, nothing changed), store and publish.
   * The stored version is frozen: the history, the snapshot given to a new
   * subscriber and the REST answer all share it, and the next change is a new
   * version (`#draft`), so no event needs a deep copy of the state.
   */
  #commit(state: CrawlProgressState): void {
    const { logs } = state;
    let cut = Math.max(0, logs.length - this.#limits.crawlLogLines);
    const measured = Buffer.byteLength(JSON.stringify(state));
    let size = measured;
    for (let i = 0; i < cut; i++) size -= jsonStringBytes(logs[i]!);
    while (size > this.#limits.entityBytes && cut < logs.length - 1) size -= jsonStringBytes(logs[cut++]!);
    if (cut > 0) logs.splice(0, cut);
    // Untrimmed, the first measure is exact; trimmed, it was an estimate and is taken again.
    const bytes = cut > 0 ? assertEntityBytes(state, this.#limits.entityBytes, `crawl ${state.progressId}`) : checkEntityBytes(measured, this.#limits.entityBytes, `crawl ${state.progressId}`);
    this.#budget.check(state.progressId, bytes);
    this.#budget.set(state.progressId, bytes);
    Object.freeze(logs);
    const committed = Object.freeze(state);
    this.#states.set(state.progressId, committed);
    this.#publish(committed);
  }

  #forget(progressId: string): void {
    clearTimeout(this.#cleanups.get(progressId));
    this.#cleanups.delete(progressId);
    this.#idle.forget(progressId);
    this.#states.delete(progressId);
    this.#budget.delete(progressId);
    this.#ctx.hub.dropRoom(crawlRoom(progressId));
  }

  #require(progressId: string): CrawlProgressState {
    const state = this.#states.get(progressId);
    if (!state) throw new SwitchyardError('NOT_FOUND', `unknown crawl ${progressId}`);
    return state;
  }

  #publish(state: CrawlProgressState): void {
    // The frozen version itself: the log keeps it as the live state moves on to new versions.
    publisherFor(this.#ctx.hub, crawlProgress).publish(crawlRoom(state.progressId), 'progress_update', state);
  }

  #scheduleCleanup(progressId: string): void {
    clearTimeout(this.#cleanups.get(progressId));
    // Finished: its retention timer ends it, not the idle TTL.
    this.#idle.forget(progressId);
    const timer = setTimeout(() => this.#forget(progressId), this.#retentionMs);
    timer.unref();
    this.#cleanups.set(progressId, timer);
  }

  #now(): string {
    return pythonLocalIso(this.#ctx.clock());
  }
}

/** What one string adds to an array's JSON: its bytes, two quotes and a comma (escapes make it an estimate). */
function jsonStringBytes(text: string): number {
  return Buffer.byteLength(text) + 3;
}
