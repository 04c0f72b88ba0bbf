import plan from '../../../migrations-plan/crawl-progress.json' with { type: 'json' };
import { defineService } from '../../contract/define.js';
import type { CrawlClientToServerEvents, CrawlServerToClientEvents } from './events.js';

/** crawl-progress's contract: browser-safe (types and the bundled plan only). */
export const crawlProgress = defineService<CrawlServerToClientEvents, CrawlClientToServerEvents>()({
  id: 'crawl-progress',
  plan,
  join: 'join_crawl',
  room: ({ progress_id }: { progress_id: string }) => `crawl_${progress_id}`,
});
