import { describe, expect, it } from 'vitest';
import { MemoryEventLog } from '../../../src/domain/memory-event-log.js';
import { RoomHub } from '../../../src/domain/room-hub.js';

function hubAt(time: { now: number }, retention = { maxEvents: 5, maxAgeMs: 60_000 }): RoomHub {
  const clock = (): number => time.now;
  return new RoomHub(new MemoryEventLog(retention, clock), { clock });
}

const publish = (hub: RoomHub, room: string, n: number): void => {
  for (let i = 0; i < n; i++) hub.publish('crawl-progress', room, 'progress_update', { i });
};

describe('RoomHub', () => {
  it('numbers each room on its own, and replays exactly what came after a sequence', async () => {
    const hub = hubAt({ now: 0 });
    publish(hub, 'a', 3);
    publish(hub, 'b', 1);
    expect([hub.head('a'), hub.head('b'), hub.head('c')]).toEqual([3, 1, 0]);
    const replay = await hub.replay('a', 1, hub.epoch('a'));
    expect(replay).toMatchObject({ complete: true });
    expect(replay.events.map((e) => e.seq)).toEqual([2, 3]);
    expect(await hub.replay('a', 3)).toEqual({ events: [], complete: true });
    // A replay read before a publish no longer reaches the head: the client gets a snapshot instead.
    expect(hub.reachesHead('a', 1, replay)).toBe(true);
    publish(hub, 'a', 1);
    expect(hub.reachesHead('a', 1, replay)).toBe(false);
  });

  it('says a resume is incomplete when history was trimmed by count or age, or the client is ahead', async () => {
    const time = { now: 0 };
    const hub = hubAt(time);
    publish(hub, 'a', 8);
    expect(await hub.replay('a', 2)).toMatchObject({ complete: false });
    expect((await hub.replay('a', 3)).events.map((e) => e.seq)).toEqual([4, 5, 6, 7, 8]);
    time.now = 61_000;
    expect(await hub.replay('a', 7)).toMatchObject({ complete: false });
    expect(await hub.replay('a', 9)).toMatchObject({ complete: false });
  });

  it('never resumes across epochs: a restarted server, or a dropped room used again', async () => {
    const first = hubAt({ now: 0 });
    publish(first, 'a', 5);
    const before = first.epoch('a');
    expect(first.epoch('a')).toBe(before);

    const restarted = hubAt({ now: 0 }, { maxEvents: 50, maxAgeMs: 60_000 });
    publish(restarted, 'a', 8);
    expect(restarted.epoch('a')).not.toBe(before);
    expect(await restarted.replay('a', 5, before)).toEqual({ events: [], complete: false });
    // Without an epoch (an older client) the numbers are taken at their word.
    expect(await restarted.replay('a', 5)).toMatchObject({ complete: true });
    // `since` 0 saw nothing: any run's history will do.
    expect(await restarted.replay('a', 0, before)).toMatchObject({ complete: true });

    const reused = restarted.epoch('a');
    restarted.dropRoom('a');
    publish(restarted, 'a', 6);
    expect(restarted.head('a')).toBe(6);
    expect(restarted.epoch('a')).not.toBe(reused);
    expect(await restarted.replay('a', 2, reused)).toMatchObject({ complete: false });
  });

  it('holds a bounded history under steady traffic: by count per room and by age', async () => {
    const time = { now: 0 };
    const clock = (): number => time.now;
    const log = new MemoryEventLog({ maxEvents: 100, maxAgeMs: 2_000 }, clock);
    const hub = new RoomHub(log, { clock });
    const held: number[] = [];
    // 10 rooms, 100 events per simulated second each, for a simulated minute.
    for (let second = 0; second < 60; second++) {
      for (let tick = 0; tick < 100; tick++) {
        time.now += 10;
        for (let room = 0; room < 10; room++) publish(hub, `r${room}`, 1);
      }
      held.push(log.size().events);
    }
    expect(Math.max(...held)).toBeLessThanOrEqual(10 * 100);
    expect(held.at(-1)).toBe(held[10]);
    // Slow traffic is bounded by age instead: 1 event per second keeps 2 seconds' worth.
    for (let i = 0; i < 10; i++) {
      time.now += 1000;
      publish(hub, 'slow', 1);
    }
    expect((await hub.replay('slow', 0)).events.length).toBeLessThanOrEqual(3);
  });
});
