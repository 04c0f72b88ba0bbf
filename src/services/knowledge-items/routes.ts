import type Router from '@koa/router';
import { z } from 'zod';
import { SwitchyardError } from '../../errors/catalogue.js';
import { parseInput } from '../validate.js';
import type { KnowledgeItemsDomain } from './domain.js';
import { embeddedStore, type EntityStore } from '../../domain/entity-store.js';

const sourceIdSchema = z.string().min(1).max(500);
const sourceFields = {
  title: z.string().max(1000).optional(),
  summary: z.string().max(20_000).optional(),
  url: z.string().max(2048).optional(),
  total_words: z.number().int().nonnegative().optional(),
  update_frequency: z.number().int().nonnegative().optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  created_at: z.string().max(100).optional(),
  updated_at: z.string().max(100).optional(),
};
const upsertSchema = z.strictObject(sourceFields);
const replaceSchema = z.strictObject({ sources: z.array(z.strictObject({ ...sourceFields, source_id: sourceIdSchema })).max(10_000) });
const uploadCompletedSchema = z.strictObject({
  filename: z.string().min(1).max(1000),
  progressId: z.string().min(1).max(200),
  sourceId: z.string().min(1).max(500),
  message: z.string().max(10_000).optional(),
});
const uploadErrorSchema = z.strictObject({
  filename: z.string().min(1).max(1000),
  progressId: z.string().min(1).max(200),
  error: z.string().min(1).max(10_000),
});

/**
 * Producer API of knowledge-items (what the knowledge backend calls); every
 * list change re-sends the whole list to `/knowledge` subscribers:
 * - `PUT    /api/producer/knowledge-items/:sourceId` `{title?, summary?, url?, total_words?, update_frequency?, metadata?, created_at?, updated_at?}` → item (201 when new)
 * - `DELETE /api/producer/knowledge-items/:sourceId` → `{source_id, deleted: true}`
 * - `PUT    /api/producer/knowledge-items` `{sources: [{source_id, ...}]}` → the new list
 * - `POST   /api/producer/knowledge-items/upload-completed` `{filename, progressId, sourceId, message?}`
 * - `POST   /api/producer/knowledge-items/upload-error` `{filename, progressId, error}`
 *
 * Legacy REST kept: `GET /api/knowledge-items` → `{items, total, page: 1, per_page: 20, pages: 1}`.
 */
export function knowledgeRoutes(router: Router, domain: KnowledgeItemsDomain, store: EntityStore = embeddedStore): void {
  // Each change is one step of the entity store (cluster mode: answered once committed).
  const base = '/api/producer/knowledge-items';
  router.put(base, async (ctx) => {
    const { sources } = parseInput(replaceSchema, ctx.request.body, 'knowledge items replace');
    ctx.body = await store.transact(() => domain.replaceAll(sources));
  });
  router.post(`${base}/upload-completed`, async (ctx) => {
    const input = parseInput(uploadCompletedSchema, ctx.request.body, 'upload completed');
    ctx.body = await store.transact(() => domain.uploadCompleted(input));
  });
  router.post(`${base}/upload-error`, async (ctx) => {
    const input = parseInput(uploadErrorSchema, ctx.request.body, 'upload error');
    ctx.body = await store.transact(() => domain.uploadError(input));
  });
  router.get(`${base}/:sourceId`, (ctx) => {
    const item = domain.get(ctx.params.sourceId!);
    if (!item) throw new SwitchyardError('NOT_FOUND', `unknown knowledge item ${ctx.params.sourceId}`);
    ctx.body = item;
  });
  router.put(`${base}/:sourceId`, async (ctx) => {
    const sourceId = parseInput(sourceIdSchema, ctx.params.sourceId, 'source id');
    const input = parseInput(upsertSchema, ctx.request.body, 'knowledge item');
    const { item, created } = await store.transact(() => domain.upsert({ ...input, source_id: sourceId }));
    ctx.status = created ? 201 : 200;
    ctx.body = item;
  });
  router.delete(`${base}/:sourceId`, async (ctx) => {
    const removed = await store.transact(() => domain.remove(ctx.params.sourceId!));
    ctx.body = { source_id: removed.source_id, deleted: true };
  });

  router.get('/api/knowledge-items', (ctx) => {
    ctx.body = domain.list();
  });
}
