/**
 * The sweep behind every legacy heartbeat and liveness check: each socket
 * beats once per interval, and a large group is beaten a slice at a time so
 * 10,000 sockets never stall the event loop in one tick.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HeartbeatSweep } from '../../../src/transport/heartbeat-sweep.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function members(n: number): { beats: number[]; list: { beat(): void }[] } {
  const beats = new Array<number>(n).fill(0);
  return { beats, list: beats.map((_, i) => ({ beat: () => void beats[i]!++ })) };
}

describe('HeartbeatSweep', () => {
  it('beats every member once per interval, a tenth of a large group per tick', () => {
    const sweep = new HeartbeatSweep();
    const { beats, list } = members(1000);
    for (const m of list) sweep.add(30_000, m);
    vi.advanceTimersByTime(3000);
    expect(beats.reduce((a, b) => a + b, 0)).toBe(100);
    vi.advanceTimersByTime(27_000);
    expect(beats.every((b) => b === 1)).toBe(true);
    vi.advanceTimersByTime(30_000);
    expect(beats.every((b) => b === 2)).toBe(true);
    sweep.close();
  });

  it('stops beating a removed member, and a short interval beats the whole group each tick', () => {
    const sweep = new HeartbeatSweep();
    const { beats, list } = members(3);
    for (const m of list) sweep.add(100, m);
    vi.advanceTimersByTime(100);
    expect(beats).toEqual([1, 1, 1]);
    sweep.remove(100, list[1]!);
    vi.advanceTimersByTime(200);
    expect(beats).toEqual([3, 1, 3]);
    sweep.close();
  });

  it('goes on with the others when one beat throws', () => {
    const errors: unknown[] = [];
    const sweep = new HeartbeatSweep((error) => errors.push(error));
    const { beats, list } = members(2);
    sweep.add(100, { beat: () => { throw new Error('boom'); } });
    for (const m of list) sweep.add(100, m);
    vi.advanceTimersByTime(100);
    expect(beats).toEqual([1, 1]);
    expect(errors).toHaveLength(1);
    sweep.close();
  });
});
