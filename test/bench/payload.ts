import { now } from './ipc.js';
import { FANOUT_PROGRESS_ID, type BenchStamp } from './protocol.js';

/** A crawl-progress state as the domain publishes it (whole state, small), plus the bench stamp. */
export function benchPayload(run: number, i: number, events: number, t: number = now()): Record<string, unknown> {
  const bench: BenchStamp = { r: run, i, t };
  return {
    status: 'crawling',
    percentage: Math.floor((i * 100) / events),
    progressId: FANOUT_PROGRESS_ID,
    currentUrl: `https://docs.example.com/guide/page-${i}`,
    totalPages: events,
    processedPages: i,
    log: `Crawled page ${i} of ${events}`,
    bench,
  };
}
