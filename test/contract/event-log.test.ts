import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventLog, RetentionOptions, RoomEvent } from '../../src/domain/event-log.js';
import { MemoryEventLog } from '../../src/domain/memory-event-log.js';
import { RedisEventLog } from '../../src/cluster/redis-event-log.js';
import { deletePrefix, randomPrefix, REDIS_URL, redisForTests } from '../support/redis.js';

/** A clock the test moves by hand, shared by the log and the events it appends. */
function manualClock(): { now: () => number; advance: (ms: number) => void } {
  let at = 1_700_000_000_000;
  return { now: () => at, advance: (ms) => { at += ms; } };
}

type MakeLog = (retention: Partial<RetentionOptions>, clock: () => number) => EventLog;

const withRedis = await redisForTests();
const connections: Redis[] = [];
const prefixes: string[] = [];
afterAll(async () => {
  for (const redis of connections) redis.disconnect();
  await Promise.all(prefixes.map((prefix) => deletePrefix(prefix)));
});

const implementations: Array<[string, MakeLog | undefined]> = [
  ['memory', (retention, clock) => new MemoryEventLog(retention, clock)],
  ['redis', withRedis ? (retention, clock) => {
    const redis = new Redis(REDIS_URL);
    connections.push(redis);
    const prefix = randomPrefix();
    prefixes.push(prefix);
    return new RedisEventLog(redis, prefix, retention, clock);
  } : undefined],
];

for (const [name, make] of implementations) {
  describe.skipIf(make === undefined)(`EventLog contract: ${name}`, () => {
    let clock: ReturnType<typeof manualClock>;
    let log: EventLog;
    const event = (room: string, seq: number, payload: Record<string, unknown> = { n: seq }): RoomEvent =>
      ({ room, seq, event: 'tick', payload, at: clock.now() });
    const seqs = (events: readonly RoomEvent[]): number[] => events.map((e) => e.seq);

    beforeAll(() => {
      clock = manualClock();
    });

    it('replays, per room, exactly the events after a sequence, payloads intact', async () => {
      log = make!({ maxEvents: 100 }, clock.now);
      for (let seq = 1; seq <= 5; seq++) await log.append(event('a_1', seq, { n: seq, list: [], nested: { empty: {} } }));
      await log.append(event('b_1', 1));
      const after2 = await log.since('a_1', 2);
      expect(after2.complete).toBe(true);
      expect(seqs(after2.events)).toEqual([3, 4, 5]);
      expect(after2.events[0]).toMatchObject({ room: 'a_1', event: 'tick', payload: { n: 3, list: [], nested: { empty: {} } } });
      expect(await log.since('a_1', 5)).toEqual({ events: [], complete: true });
      expect(seqs((await log.since('b_1', 0)).events)).toEqual([1]);
      expect(await log.since('unknown_1', 0)).toEqual({ events: [], complete: true });
    });

    it('keeps at most maxEvents per room and says a resume from before them is incomplete', async () => {
      log = make!({ maxEvents: 3 }, clock.now);
      for (let seq = 1; seq <= 10; seq++) await log.append(event('c_1', seq));
      const all = await log.since('c_1', 0);
      expect(seqs(all.events)).toEqual([8, 9, 10]);
      expect(all.complete).toBe(false);
      expect((await log.since('c_1', 7)).complete).toBe(true);
    });

    it('drops events older than maxAgeMs', async () => {
      log = make!({ maxEvents: 100, maxAgeMs: 1000 }, clock.now);
      await log.append(event('d_1', 1));
      await log.append(event('d_1', 2));
      clock.advance(1500);
      await log.append(event('d_1', 3));
      const result = await log.since('d_1', 0);
      expect(seqs(result.events)).toEqual([3]);
      expect(result.complete).toBe(false);
    });

    it('keeps at most maxBytes of payload per room, oldest first', async () => {
      log = make!({ maxEvents: 100, maxBytes: 300 }, clock.now);
      const blob = 'x'.repeat(90);
      for (let seq = 1; seq <= 6; seq++) await log.append(event('e_1', seq, { blob }));
      const result = await log.since('e_1', 0);
      // Each payload is 101 bytes of JSON: two fit under 300, the newest two.
      expect(seqs(result.events)).toEqual([5, 6]);
      expect(result.complete).toBe(false);
    });

    it('forgets a dropped room', async () => {
      log = make!({ maxEvents: 100 }, clock.now);
      await log.append(event('f_1', 1));
      await log.drop('f_1');
      expect(await log.since('f_1', 0)).toEqual({ events: [], complete: true });
    });
  });
}
