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

  it('bounds the history by bytes: per room, and across rooms oldest first', async () => {
    const time = { now: 0 };
    const clock = (): number => time.now;
    const log = new MemoryEventLog({ maxEvents: 1000, maxAgeMs: 60_000, maxBytes: 10_000, maxTotalBytes: 25_000 }, clock);
    const hub = new RoomHub(log, { clock });
    const big = 'x'.repeat(1000);
    // About 1 KB each: a room keeps the newest ~9 of 30.
    for (let i = 0; i < 30; i++) hub.publish('crawl-progress', 'a', 'progress_update', { i, big });
    const a = await hub.replay('a', 0);
    expect(a.complete).toBe(false);
    expect(a.events.length).toBeGreaterThan(5);
    expect(a.events.length).toBeLessThan(10);
    expect(a.events.at(-1)?.seq).toBe(30);
    expect(log.size().bytes).toBeLessThanOrEqual(10_000);
    // Two more rooms: the total bound evicts the oldest events first, which are room a's.
    for (let i = 0; i < 30; i++) hub.publish('crawl-progress', 'b', 'progress_update', { i, big });
    for (let i = 0; i < 30; i++) hub.publish('crawl-progress', 'c', 'progress_update', { i, big });
    expect(log.size().bytes).toBeLessThanOrEqual(25_000);
    expect((await hub.replay('c', 0)).events.at(-1)?.seq).toBe(30);
    expect((await hub.replay('a', 0)).events.length).toBeLessThan(a.events.length);
    // A resume from within what is kept still works, one past it gets a snapshot.
    const c = await hub.replay('c', 25);
    expect(c).toMatchObject({ complete: true });
    expect(c.events.map((e) => e.seq)).toEqual([26, 27, 28, 29, 30]);
    // Dropping rooms returns their bytes.
    await log.drop('a');
    await log.drop('b');
    await log.drop('c');
    expect(log.size()).toEqual({ rooms: 0, events: 0, bytes: 0 });
  });

  it('releases rooms nobody is in once idle for the history age, with a new epoch after', async () => {
    const time = { now: 0 };
    const clock = (): number => time.now;
    const log = new MemoryEventLog({ maxEvents: 100, maxAgeMs: 1_000 }, clock);
    const hub = new RoomHub(log, { clock, releaseAfterMs: 1_000, sweepIntervalMs: 60_000 });
    const member = { deliver: (): void => {} };
    let socketIoMember = false;
    hub.addPresenceProbe((room) => socketIoMember && room === 'io');
    for (let n = 0; n < 1000; n++) hub.epoch(`joined-${n}`);
    publish(hub, 'kept', 3);
    hub.subscribe('kept', member);
    publish(hub, 'io', 2);
    socketIoMember = true;
    publish(hub, 'gone', 4);
    const gone = hub.epoch('gone');
    expect(hub.roomCount).toBe(1003);
    time.now = 999;
    expect(hub.releaseIdleRooms()).toBe(0);
    time.now = 1_000;
    expect(hub.releaseIdleRooms()).toBe(1001);
    expect(hub.roomCount).toBe(2);
    expect([hub.head('kept'), hub.head('io'), hub.head('gone')]).toEqual([3, 2, 0]);
    // Only the two rooms still subscribed keep a history.
    expect(log.size().rooms).toBe(2);
    // A resume from the released run gets a snapshot, never the new run's events.
    publish(hub, 'gone', 6);
    expect(hub.epoch('gone')).not.toBe(gone);
    expect(await hub.replay('gone', 2, gone)).toEqual({ events: [], complete: false });
    // Rooms whose subscribers left are released after their own idle time.
    hub.unsubscribe('kept', member);
    socketIoMember = false;
    hub.noteActivity('io');
    time.now = 1_500;
    expect(hub.releaseIdleRooms()).toBe(0);
    time.now = 2_500;
    expect(hub.releaseIdleRooms()).toBe(3);
    await hub.close();
  });
});
