/** How the drill counts deliveries: each client must get each published event once, in order. */
import { describe, expect, it } from 'vitest';
import { countDeliveries, quantile, spread } from '../../../src/drill/analysis.js';

const published = [1, 2, 3, 4, 5, 6].map((n) => ({ n, at: n * 10 }));
const arrivals = (...ns: number[]): Array<{ n: number; at: number }> => ns.map((n, i) => ({ n, at: 100 + i }));
// Markers 1-3 in window 0, 4-6 in window 1.
const windowOf = (n: number): number => (n <= 3 ? 0 : 1);

describe('countDeliveries', () => {
  it('a clean client counts nothing', () => {
    expect(countDeliveries(published, [arrivals(1, 2, 3, 4, 5, 6)], 2, windowOf)).toEqual([
      { published: 3, expected: 3, lost: 0, duplicated: 0, reordered: 0 },
      { published: 3, expected: 3, lost: 0, duplicated: 0, reordered: 0 },
    ]);
  });

  it('a gap is a loss, a repeat a duplicate, an inversion a reorder, each in the window its event was published in', () => {
    const [before, after] = countDeliveries(published, [arrivals(1, 3, 2, 4, 4, 6), arrivals(1, 2, 3, 4, 5, 6)], 2, windowOf);
    expect(before).toEqual({ published: 3, expected: 6, lost: 0, duplicated: 0, reordered: 1 });
    expect(after).toEqual({ published: 3, expected: 6, lost: 1, duplicated: 1, reordered: 0 });
  });
});

describe('quantile and spread', () => {
  it('nearest rank, and nulls for an empty sample', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect([quantile(values, 0.5), quantile(values, 0.99), quantile(values, 1)]).toEqual([50, 99, 100]);
    expect(spread([])).toEqual({ count: 0, p50Ms: null, p99Ms: null, maxMs: null });
    expect(spread([3, 1, 2])).toEqual({ count: 3, p50Ms: 2, p99Ms: 3, maxMs: 3 });
  });
});
