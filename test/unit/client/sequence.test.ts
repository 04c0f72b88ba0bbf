import { describe, expect, it } from 'vitest';
import { SequenceTracker } from '../../../src/client/sequence.js';

describe('sequence dedupe', () => {
  it('passes the first event of an unknown room and then only newer ones', () => {
    const tracker = new SequenceTracker();
    expect(tracker.last('r')).toBeUndefined();
    expect(tracker.accept('r', 5)).toBe('fresh');
    expect(tracker.accept('r', 6)).toBe('fresh');
    expect(tracker.accept('r', 6)).toBe('duplicate');
    expect(tracker.accept('r', 3)).toBe('duplicate');
    expect(tracker.last('r')).toBe(6);
  });

  it('two interleaved consecutive streams (a switch) yield each seq once, in order', () => {
    const tracker = new SequenceTracker();
    tracker.reset('r', 10);
    const legacy = [11, 12, 13];
    const socketIo = [11, 12, 13, 14, 15]; // resumed from 10
    const arrivals = [legacy[0], socketIo[0], socketIo[1], legacy[1], legacy[2], socketIo[2], socketIo[3], socketIo[4]] as number[];
    const delivered = arrivals.filter((seq) => tracker.accept('r', seq) !== 'duplicate');
    expect(delivered).toEqual([11, 12, 13, 14, 15]);
  });

  it('reports a gap but delivers', () => {
    const tracker = new SequenceTracker();
    tracker.reset('r', 1);
    expect(tracker.accept('r', 4)).toBe('gap');
    expect(tracker.last('r')).toBe(4);
  });

  it('reset (a snapshot) sets the base, even backwards (server restarted)', () => {
    const tracker = new SequenceTracker();
    tracker.reset('r', 50);
    tracker.reset('r', 2);
    expect(tracker.accept('r', 3)).toBe('fresh');
  });

  it('keeps rooms apart', () => {
    const tracker = new SequenceTracker();
    tracker.accept('a', 7);
    expect(tracker.accept('b', 1)).toBe('fresh');
    expect(tracker.snapshot()).toEqual(new Map([['a', 7], ['b', 1]]));
  });
});
