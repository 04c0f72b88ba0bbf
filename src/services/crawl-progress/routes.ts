import type Router from '@koa/router';
import { z } from 'zod';
import { SwitchyardError } from '../../errors/catalogue.js';
import { toAckError } from '../../errors/surfaces.js';
import { NAME_MAX, SHORT_MAX, TEXT_MAX } from '../storage-limits.js';
import { parseInput } from '../validate.js';
import type { CrawlProgressDomain } from './domain.js';
import { embeddedStore, type EntityStore } from '../../domain/entity-store.js';

// Loose: the crawler passes extra kwargs through. Named fields have a maximum
// length; the extra ones are bounded by the whole state's byte limit.
const startSchema = z.looseObject({ progressId: z.string().min(1).max(SHORT_MAX).optional(), currentUrl: z.string().max(NAME_MAX).optional() });
const progressSchema = z.looseObject({ status: z.string().min(1).max(SHORT_MAX), percentage: z.number().min(0).max(100), log: z.string().max(TEXT_MAX).optional() });
const completeSchema = z.looseObject({ log: z.string().max(TEXT_MAX).optional(), chunksStored: z.number().int().nonnegative().optional(), wordCount: z.number().int().nonnegative().optional() });
const errorSchema = z.strictObject({ error: z.string().min(1).max(TEXT_MAX) });

/** Updates in one batch request, at most. */
export const CRAWL_BATCH_MAX = 100;
const batchSchema = z.strictObject({
  updates: z.array(progressSchema.extend({ progressId: z.string().min(1).max(SHORT_MAX) })).min(1).max(CRAWL_BATCH_MAX),
});

/**
 * Producer API of crawl-progress (what the crawler calls):
 * - `POST /api/producer/crawl-progress` `{progressId?, currentUrl, ...}` → 201 state
 * - `POST /api/producer/crawl-progress/:progressId/progress` `{status, percentage, log?, ...kwargs}`
 * - `POST /api/producer/crawl-progress/:progressId/complete` `{chunksStored?, wordCount?, log?, ...}`
 * - `POST /api/producer/crawl-progress/:progressId/error` `{error}`
 * - `GET  /api/producer/crawl-progress/:progressId` → current state
 * - `POST /api/producer/crawl-progress/batch` `{updates: [{progressId, status, percentage, log?, ...kwargs}]}`
 *   (1 to `CRAWL_BATCH_MAX`) → 200 `{results: [{ok: true, progressId} | {ok: false, progressId, error: {code, message}}]}`:
 *   the whole body is validated first (400, nothing applied, if any update is
 *   malformed); then each update is applied in order exactly as the single
 *   progress call (its own event, its own refusal: an unknown crawl, a state
 *   over the size limit), and the events of one batch leave in one write per
 *   legacy socket.
 */
export function crawlRoutes(router: Router, domain: CrawlProgressDomain, store: EntityStore = embeddedStore): void {
  // Each change is one step of the entity store: stored and published together (cluster mode awaits it).
  const base = '/api/producer/crawl-progress';
  router.post(base, async (ctx) => {
    ctx.status = 201;
    ctx.body = await store.transact(() => domain.start(parseInput(startSchema, ctx.request.body, 'crawl start')));
  });
  router.get(`${base}/:progressId`, (ctx) => {
    const state = domain.get(ctx.params.progressId!);
    if (!state) throw new SwitchyardError('NOT_FOUND', `unknown crawl ${ctx.params.progressId}`);
    ctx.body = state;
  });
  router.post(`${base}/batch`, async (ctx) => {
    const { updates } = parseInput(batchSchema, ctx.request.body, 'crawl progress batch');
    const results: Array<Record<string, unknown>> = [];
    // In order, each exactly as its own /progress call (its own commit in cluster mode).
    for (const { progressId, ...update } of updates) {
      try {
        await store.transact(() => domain.update(progressId, update));
        results.push({ ok: true, progressId });
      } catch (error) {
        // A refusal belongs to its update; anything else is a fault and answers 500.
        if (!(error instanceof SwitchyardError)) throw error;
        results.push({ ...toAckError(error), progressId });
      }
    }
    ctx.body = { results };
  });
  router.post(`${base}/:progressId/progress`, async (ctx) => {
    ctx.body = await store.transact(() => domain.update(ctx.params.progressId!, parseInput(progressSchema, ctx.request.body, 'crawl progress')));
  });
  router.post(`${base}/:progressId/complete`, async (ctx) => {
    ctx.body = await store.transact(() => domain.complete(ctx.params.progressId!, parseInput(completeSchema, ctx.request.body ?? {}, 'crawl complete')));
  });
  router.post(`${base}/:progressId/error`, async (ctx) => {
    ctx.body = await store.transact(() => domain.fail(ctx.params.progressId!, parseInput(errorSchema, ctx.request.body, 'crawl error').error));
  });
}
