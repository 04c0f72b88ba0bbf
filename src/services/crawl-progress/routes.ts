import type Router from '@koa/router';
import { z } from 'zod';
import { SwitchyardError } from '../../errors/catalogue.js';
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

/**
 * Producer API of crawl-progress (what the crawler calls):
 * - `POST /api/producer/crawl-progress` `{progressId?, currentUrl, ...}` → 201 state
 * - `POST /api/producer/crawl-progress/:progressId/progress` `{status, percentage, log?, ...kwargs}`
 * - `POST /api/producer/crawl-progress/:progressId/complete` `{chunksStored?, wordCount?, log?, ...}`
 * - `POST /api/producer/crawl-progress/:progressId/error` `{error}`
 * - `GET  /api/producer/crawl-progress/:progressId` → current state
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
