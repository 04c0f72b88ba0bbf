import { randomUUID } from 'node:crypto';
import { pythonLocalIso } from '../../domain/clock.js';
import { SwitchyardError } from '../../errors/catalogue.js';
import type { ServiceContext } from '../service-module.js';
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
 */
export class CrawlProgressDomain {
  readonly #ctx: ServiceContext;
  readonly #states = new Map<string, CrawlProgressState>();
  readonly #cleanups = new Map<string, NodeJS.Timeout>();
  readonly #retentionMs: number;

  constructor(ctx: ServiceContext, options: { completedRetentionMs?: number } = {}) {
    this.#ctx = ctx;
    // The legacy server forgot finished crawls after 300 s.
    this.#retentionMs = options.completedRetentionMs ?? 300_000;
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
    const { progressId: _ignored, currentUrl, ...extra } = input;
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
    this.#states.set(progressId, state);
    this.#publish(state);
    return state;
  }

  /** A progress callback: status, percentage, the latest `log`, any extra kwargs. */
  update(progressId: string, update: Record<string, unknown>): CrawlProgressState {
    const state = this.#require(progressId);
    for (const [key, value] of Object.entries(update)) {
      if (!RESERVED.has(key)) state[key] = value;
    }
    if (typeof update.log === 'string') state.logs.push(update.log);
    state.updated_at = this.#now();
    this.#publish(state);
    return state;
  }

  complete(progressId: string, result: Record<string, unknown> = {}): CrawlProgressState {
    const state = this.#require(progressId);
    const log = typeof result.log === 'string' ? result.log : 'Crawling completed successfully';
    state.status = 'completed';
    state.percentage = 100;
    state.logs.push(log);
    state.log = log;
    state.completed_at = this.#now();
    for (const [key, value] of Object.entries(result)) if (!RESERVED.has(key) && key !== 'log') state[key] = value;
    this.#publish(state);
    const url = state.currentUrl ?? '';
    publisherFor(this.#ctx.hub, knowledgeItems).publish(knowledgeItems.room({}), 'crawl_completed', {
      url, success: true, message: `Crawling completed for ${url}`, progressId,
    });
    this.#scheduleCleanup(progressId);
    return state;
  }

  /** Errors go out as ordinary progress with `status: "error"` (the legacy quirk). */
  fail(progressId: string, error: string): CrawlProgressState {
    const state = this.#require(progressId);
    state.status = 'error';
    state.error = error;
    state.logs.push(`Error: ${error}`);
    state.completed_at = this.#now();
    this.#publish(state);
    this.#scheduleCleanup(progressId);
    return state;
  }

  close(): void {
    for (const timer of this.#cleanups.values()) clearTimeout(timer);
    this.#cleanups.clear();
  }

  #require(progressId: string): CrawlProgressState {
    const state = this.#states.get(progressId);
    if (!state) throw new SwitchyardError('NOT_FOUND', `unknown crawl ${progressId}`);
    return state;
  }

  #publish(state: CrawlProgressState): void {
    // A copy: the log keeps this version even as the live state moves on.
    publisherFor(this.#ctx.hub, crawlProgress).publish(crawlRoom(state.progressId), 'progress_update', structuredClone(state));
  }

  #scheduleCleanup(progressId: string): void {
    clearTimeout(this.#cleanups.get(progressId));
    const timer = setTimeout(() => {
      this.#states.delete(progressId);
      this.#cleanups.delete(progressId);
      this.#ctx.hub.dropRoom(crawlRoom(progressId));
    }, this.#retentionMs);
    timer.unref();
    this.#cleanups.set(progressId, timer);
  }

  #now(): string {
    return pythonLocalIso(this.#ctx.clock());
  }
}
