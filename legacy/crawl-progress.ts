/**
 * Legacy endpoint `/api/crawl-progress/{progress_id}` (legacy.md §2), as the
 * original `websocket_crawl_progress` served it:
 * - on connect: the tracked state as `crawl_progress`, or the "waiting" frame;
 * - live: `crawl_progress` with the whole state, `crawl_completed` when the
 *   status is `completed`; errors stay `crawl_progress` (wire quirk);
 * - heartbeat and pong come from the plan; `{"type":"ping"}` is ignored.
 */
import type { CrawlProgressDomain } from '../src/services/crawl-progress/domain.js';
import { crawlRoom, waitingState, type CrawlProgressState } from '../src/services/crawl-progress/events.js';
import type { LegacyEndpoint } from '../src/services/service-module.js';
import { encodeFrame } from './wire.js';

function progressFrame(state: Readonly<Record<string, unknown>>): string {
  const { seq: _seq, ...data } = state;
  return encodeFrame({ type: data.status === 'completed' ? 'crawl_completed' : 'crawl_progress', data });
}

export function crawlProgressLegacy(domain: CrawlProgressDomain): LegacyEndpoint {
  return {
    open({ params }) {
      const progressId = params.progress_id!;
      const state: CrawlProgressState = domain.get(progressId) ?? waitingState(progressId);
      return { rooms: [crawlRoom(progressId)], frames: [progressFrame(state)] };
    },
    encode(event) {
      return event.event === 'progress_update' ? [progressFrame(event.payload)] : [];
    },
  };
}
