/**
 * crawl-progress: the event maps both the server and the SDK import.
 * Room: `crawl_<progress_id>`; namespace `/crawl`.
 */
import { crawlProgress } from './contract.js';

/** The whole accumulated crawl state, flat, in the legacy server's key order. */
export interface CrawlProgressState {
  status: string;
  percentage: number;
  start_time?: string;
  logs: string[];
  progressId: string;
  currentUrl?: string;
  totalPages?: number;
  processedPages?: number;
  eta?: string;
  log?: string;
  updated_at?: string;
  error?: string;
  completed_at?: string;
  [extra: string]: unknown;
}

export interface CrawlClientToServerEvents {
  /** Join a crawl's room: a `progress_update` snapshot (or the waiting state) follows at once. */
  join_crawl(payload: { progress_id: string; since?: number }, ack: (result: unknown) => void): void;
  /** Leave a crawl's room. */
  leave_crawl(payload: { progress_id: string }, ack: (result: unknown) => void): void;
}

export interface CrawlServerToClientEvents {
  /** The whole crawl state after each change; `status` `completed` or `error` ends it. */
  progress_update(payload: CrawlProgressState & { seq: number }): void;
}

/** Legacy frames of `/api/crawl-progress/:progress_id`. */
export type CrawlLegacyFrame =
  | { type: 'crawl_progress'; data: CrawlProgressState }
  | { type: 'crawl_completed'; data: CrawlProgressState }
  | { type: 'heartbeat' }
  | { type: 'pong' };

/** The room function of the contract (`./contract.ts`), the one definition of the room name. */
export const crawlRoom = (progressId: string): string => crawlProgress.room({ progress_id: progressId });

/** The state sent for a crawl nobody is tracking (yet). */
export function waitingState(progressId: string): CrawlProgressState {
  return { progressId, status: 'waiting', percentage: 0, logs: ['Waiting for crawl to start...'] };
}
