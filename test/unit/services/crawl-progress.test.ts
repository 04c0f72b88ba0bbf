import { pino } from 'pino';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { crawlProgressLegacy } from '../../../legacy/crawl-progress.js';
import { loadPlans } from '../../../src/adapter/plan-loader.js';
import type { ServicePlan } from '../../../src/adapter/plan-schema.js';
import type { RoomEvent } from '../../../src/domain/event-log.js';
import { MemoryEventLog } from '../../../src/domain/memory-event-log.js';
import { RoomHub } from '../../../src/domain/room-hub.js';
import { CrawlProgressDomain } from '../../../src/services/crawl-progress/domain.js';
import { DEFAULT_STORAGE_LIMITS } from '../../../src/services/storage-limits.js';

const NOW = Date.UTC(2025, 5, 19, 18, 31, 7, 412);
const ID = 'c-1';

let plan: ServicePlan;
beforeAll(async () => {
  plan = (await loadPlans(undefined, ['crawl-progress'])).get('crawl-progress')!;
});

describe('CrawlProgressDomain versions', () => {
  let hub: RoomHub;
  let domain: CrawlProgressDomain;
  let published: RoomEvent[];
  const make = (storage = DEFAULT_STORAGE_LIMITS): CrawlProgressDomain =>
    new CrawlProgressDomain({ hub, clock: () => NOW, logger: pino({ level: 'silent' }), plan, storage });

  beforeEach(() => {
    hub = new RoomHub(new MemoryEventLog());
    published = [];
    hub.onBroadcast((_service, event) => published.push(event));
    domain = make();
  });
  afterEach(async () => {
    domain.close();
    await hub.close();
  });

  it('each published event keeps its own version of the state while the crawl moves on (history and replay frames unchanged)', async () => {
    domain.start({ progressId: ID, currentUrl: 'https://docs.example.com/' });
    domain.update(ID, { status: 'crawling', percentage: 10, log: 'page 1' });
    const frameAt2 = crawlProgressLegacy(domain).encode(published[1]!, { params: { progress_id: ID } });
    domain.update(ID, { status: 'crawling', percentage: 20, log: 'page 2' });
    domain.complete(ID, { chunksStored: 3 });

    expect(published.filter((e) => e.event === 'progress_update').map((e) => [e.payload.status, e.payload.percentage, (e.payload.logs as string[]).length]))
      .toEqual([['starting', 0, 1], ['crawling', 10, 2], ['crawling', 20, 3], ['completed', 100, 4]]);
    const replay = await hub.replay(`crawl_${ID}`, 1);
    expect(crawlProgressLegacy(domain).encode(replay.events[0]!, { params: { progress_id: ID } })).toEqual(frameAt2);
    // A committed version cannot be changed by anyone holding it.
    expect(Object.isFrozen(published[1]!.payload)).toBe(true);
    expect(() => (published[1]!.payload.logs as string[]).push('x')).toThrow(TypeError);
  });

  it('keeps the newest log lines, and refuses an oversized update without changing anything', () => {
    domain = make({ ...DEFAULT_STORAGE_LIMITS, crawlLogLines: 3, entityBytes: 2000 });
    domain.start({ progressId: ID });
    for (let i = 1; i <= 5; i++) domain.update(ID, { status: 'crawling', percentage: i, log: `page ${i}` });
    expect(domain.get(ID)!.logs).toEqual(['page 3', 'page 4', 'page 5']);
    const before = domain.get(ID);
    const count = published.length;
    expect(() => domain.update(ID, { status: 'crawling', percentage: 6, note: 'z'.repeat(3000) })).toThrow(/at most 2000/);
    expect(domain.get(ID)).toBe(before);
    expect(published.length).toBe(count);
  });
});
