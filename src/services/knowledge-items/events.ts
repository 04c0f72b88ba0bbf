/**
 * knowledge-items: the event maps both the server and the SDK import.
 * Namespace `/knowledge`; one room, `knowledge`, for the whole list and the
 * crawl/upload broadcasts (crawl-progress publishes `crawl_completed` there).
 */
import { knowledgeItems } from './contract.js';

/** A knowledge source as a producer describes it (a row of the legacy `sources` table plus its first page URL). */
export interface KnowledgeSource {
  source_id: string;
  title?: string;
  summary?: string;
  /** The first crawled page's URL; default `source://<source_id>`. */
  url?: string;
  total_words?: number;
  update_frequency?: number;
  /** Spread over the item's metadata defaults. */
  metadata?: Record<string, unknown>;
  created_at?: string;
  updated_at?: string;
}

/** One item as the legacy server sent it (legacy.md §8): metadata defaults, then the source metadata spread. */
export interface KnowledgeItem {
  id: string;
  title: unknown;
  url: string;
  source_id: string;
  metadata: {
    knowledge_type: unknown;
    tags: unknown;
    source_type: unknown;
    status: unknown;
    description: unknown;
    chunks_count: unknown;
    word_count: unknown;
    last_scraped: unknown;
    file_name: unknown;
    file_type: unknown;
    update_frequency: unknown;
    [extra: string]: unknown;
  };
  created_at: string | null;
  updated_at: string | null;
}

/** The whole list with the legacy paging constants (all items, one page). */
export interface KnowledgeItemsList {
  items: KnowledgeItem[];
  total: number;
  page: 1;
  per_page: 20;
  pages: 1;
}

/**
 * Why a `knowledge_items_update` was sent: `subscribe` (the snapshot) or
 * `change`. Legacy clients only ever got the snapshot (legacy.md §8), so the
 * plan drops `change` events on the legacy wire.
 */
export type ListReason = 'subscribe' | 'change';

export interface CrawlCompletedPayload { url: string; success: boolean; message: string; progressId: string }
export interface UploadCompletedPayload { filename: string; success: true; message: string; progressId: string; sourceId: string }
export interface UploadErrorPayload { filename: string; success: false; error: string; progressId: string }

export interface KnowledgeClientToServerEvents {
  /** Join the list: a `knowledge_items_update` snapshot follows at once. */
  subscribe_items(payload: { since?: number } | undefined, ack: (result: unknown) => void): void;
  /** Leave the list. */
  unsubscribe_items(payload: Record<string, never> | undefined, ack: (result: unknown) => void): void;
}

export interface KnowledgeServerToClientEvents {
  /** The whole list, on subscribe and after every change. */
  knowledge_items_update(payload: KnowledgeItemsList & { reason: ListReason; seq: number }): void;
  /** A crawl finished (published by crawl-progress). */
  crawl_completed(payload: CrawlCompletedPayload & { seq: number }): void;
  upload_completed(payload: UploadCompletedPayload & { seq: number }): void;
  upload_error(payload: UploadErrorPayload & { seq: number }): void;
}

/** Legacy frames of `/api/knowledge-items/stream`. */
export type KnowledgeLegacyFrame =
  | { type: 'knowledge_items_update'; data: KnowledgeItemsList }
  | { type: 'crawl_completed'; data: CrawlCompletedPayload }
  | { type: 'upload_completed'; data: UploadCompletedPayload }
  | { type: 'upload_error'; data: UploadErrorPayload }
  | { type: 'heartbeat' };

/** The one room (crawl-progress publishes `crawl_completed` to it too). */
/** The room function of the contract (`./contract.ts`), the one definition of the room name. */
export const KNOWLEDGE_ROOM = knowledgeItems.room({});
