import { postgresIso } from '../../domain/clock.js';
import { SwitchyardError } from '../../errors/catalogue.js';
import type { ServiceContext } from '../service-module.js';
import { embeddedStore, type EntityMap } from '../../domain/entity-store.js';
import { assertCapacity, assertEntityBytes, ByteBudget, DEFAULT_STORAGE_LIMITS, LIST_BYTES, type StorageLimits } from '../storage-limits.js';
import {
  KNOWLEDGE_ROOM,
  type KnowledgeItem,
  type KnowledgeItemsList,
  type KnowledgeSource,
  type UploadCompletedPayload,
  type UploadErrorPayload,
} from './events.js';
import { publisherFor } from '../../domain/publisher.js';
import { knowledgeItems } from './contract.js';

/** Python's `mapping.get(key, fallback)`: the fallback only when the key is absent (a present `null` stays). */
function get(record: Readonly<Record<string, unknown>>, key: string, fallback: unknown): unknown {
  return Object.hasOwn(record, key) ? record[key] : fallback;
}

/**
 * A source as the legacy `websocket_knowledge_items` turned it into an item
 * (legacy.md §8): the metadata defaults first, then `**source_metadata`
 * spread over them. A spread key that is already there keeps its place and
 * takes the new value, as in a Python dict literal and a JS object literal.
 */
export function toItem(source: KnowledgeSource): KnowledgeItem {
  const row = source as unknown as Record<string, unknown>;
  const metadata = source.metadata ?? {};
  const url = source.url ?? `source://${source.source_id}`;
  const storedType = metadata.source_type;
  return {
    id: source.source_id,
    title: get(row, 'title', get(row, 'summary', 'Untitled')),
    url,
    source_id: source.source_id,
    metadata: {
      knowledge_type: get(metadata, 'knowledge_type', 'technical'),
      tags: get(metadata, 'tags', []),
      // A stored source_type wins; else the legacy URL-pattern fallback.
      source_type: storedType ? storedType : url.startsWith('file://') ? 'file' : 'url',
      status: 'active',
      description: get(metadata, 'description', get(row, 'summary', '')),
      // The legacy server filled both counts from total_words.
      chunks_count: get(row, 'total_words', 0),
      word_count: get(row, 'total_words', 0),
      last_scraped: get(row, 'updated_at', null),
      file_name: get(metadata, 'file_name', null),
      file_type: get(metadata, 'file_type', null),
      update_frequency: get(row, 'update_frequency', 7),
      ...metadata,
    },
    created_at: source.created_at ?? null,
    updated_at: source.updated_at ?? null,
  };
}

/**
 * The knowledge base's sources, as the items list legacy clients and
 * `/knowledge` subscribers see. Every change publishes the whole list again
 * (`reason: "change"`); the legacy wire never carried those (legacy.md §8).
 */
export class KnowledgeItemsDomain {
  readonly #ctx: ServiceContext;
  // Insertion order; replacing a source keeps its place.
  readonly #sources: EntityMap<KnowledgeSource>;
  readonly #limits: StorageLimits;
  // Keyed by source id: the whole list goes out on every change, so it is bounded as a whole.
  #budget: ByteBudget;

  constructor(ctx: ServiceContext) {
    this.#ctx = ctx;
    this.#limits = ctx.storage ?? DEFAULT_STORAGE_LIMITS;
    this.#budget = new ByteBudget(LIST_BYTES, 'knowledge items');
    this.#sources = (ctx.store ?? embeddedStore).map('knowledge-items');
  }

  /** Items held, for tests and metrics. */
  get size(): number {
    return this.#sources.size;
  }

  /** All items with the legacy paging constants (`page 1`, `per_page 20`, `pages 1`, whatever the count). */
  list(): KnowledgeItemsList {
    const items = [...this.#sources.values()].map(toItem);
    return { items, total: items.length, page: 1, per_page: 20, pages: 1 };
  }

  get(sourceId: string): KnowledgeItem | undefined {
    const source = this.#sources.get(sourceId);
    return source ? toItem(source) : undefined;
  }

  /** Add or replace one source; timestamps default to now (`created_at` survives a replace). */
  upsert(source: KnowledgeSource): { item: KnowledgeItem; created: boolean } {
    const previous = this.#sources.get(source.source_id);
    const now = postgresIso(this.#ctx.clock());
    const stored: KnowledgeSource = {
      ...structuredClone(source),
      created_at: source.created_at ?? previous?.created_at ?? now,
      updated_at: source.updated_at ?? now,
    };
    if (!previous) assertCapacity(this.#sources.size, this.#limits.maxEntities, 'knowledge items');
    const bytes = assertEntityBytes(stored, this.#limits.entityBytes, `knowledge item ${source.source_id}`);
    this.#budget.check(source.source_id, bytes);
    this.#budget.set(source.source_id, bytes);
    this.#sources.set(source.source_id, stored);
    this.#publishList();
    return { item: toItem(stored), created: previous === undefined };
  }

  remove(sourceId: string): KnowledgeItem {
    const source = this.#sources.get(sourceId);
    if (!source) throw new SwitchyardError('NOT_FOUND', `unknown knowledge item ${sourceId}`);
    this.#sources.delete(sourceId);
    this.#budget.delete(sourceId);
    this.#publishList();
    return toItem(source);
  }

  /** Replace the whole knowledge base (one publish). */
  replaceAll(sources: readonly KnowledgeSource[]): KnowledgeItemsList {
    const now = postgresIso(this.#ctx.clock());
    // All or nothing: the new list is sized before the old one goes.
    const budget = new ByteBudget(LIST_BYTES, 'knowledge items');
    const next = new Map<string, KnowledgeSource>();
    for (const source of sources) {
      const stored = { ...structuredClone(source), created_at: source.created_at ?? now, updated_at: source.updated_at ?? now };
      if (!next.has(source.source_id)) assertCapacity(next.size, this.#limits.maxEntities, 'knowledge items');
      const bytes = assertEntityBytes(stored, this.#limits.entityBytes, `knowledge item ${source.source_id}`);
      budget.check(source.source_id, bytes);
      budget.set(source.source_id, bytes);
      next.set(source.source_id, stored);
    }
    this.#sources.clear();
    for (const [id, stored] of next) this.#sources.set(id, stored);
    this.#budget = budget;
    this.#publishList();
    return this.list();
  }

  /** The legacy `upload_completed` broadcast. */
  uploadCompleted(input: { filename: string; progressId: string; sourceId: string; message?: string }): UploadCompletedPayload {
    const payload: UploadCompletedPayload = {
      filename: input.filename,
      success: true,
      message: input.message ?? `Document upload completed for ${input.filename}`,
      progressId: input.progressId,
      sourceId: input.sourceId,
    };
    publisherFor(this.#ctx.hub, knowledgeItems).publish(KNOWLEDGE_ROOM, 'upload_completed', { ...payload });
    return payload;
  }

  /** The legacy `upload_error` broadcast. */
  uploadError(input: { filename: string; progressId: string; error: string }): UploadErrorPayload {
    const payload: UploadErrorPayload = { filename: input.filename, success: false, error: input.error, progressId: input.progressId };
    publisherFor(this.#ctx.hub, knowledgeItems).publish(KNOWLEDGE_ROOM, 'upload_error', { ...payload });
    return payload;
  }

  #publishList(): void {
    publisherFor(this.#ctx.hub, knowledgeItems).publish(KNOWLEDGE_ROOM, 'knowledge_items_update', { ...this.list(), reason: 'change' });
  }
}
