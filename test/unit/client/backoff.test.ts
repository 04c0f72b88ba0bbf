import { describe, expect, it } from 'vitest';
import { DEFAULT_BACKOFF, backoffCeiling, backoffDelay, backoffPolicy, type BackoffPolicy } from '../../../src/client/backoff.js';

const policy: BackoffPolicy = { baseMs: 100, factor: 2, capMs: 1000, maxAttempts: 6 };

describe('backoff: exponential with full jitter', () => {
  // attempt, injected random, expected delay (ceiling = min(cap, base * factor^(attempt-1)))
  const rows: Array<[number, number, number | undefined]> = [
    [1, 0, 0],
    [1, 0.5, 50],
    [1, 0.999, 99],
    [2, 0.5, 100],
    [3, 0.5, 200],
    [4, 0.5, 400],
    [5, 0.5, 500], // ceiling 1600 capped at 1000
    [6, 0.999, 999],
    [7, 0.5, undefined], // past maxAttempts
  ];
  it.each(rows)('attempt %i, random %f → %s ms', (attempt, random, expected) => {
    expect(backoffDelay(attempt, policy, () => random)).toBe(expected);
  });

  it('never exceeds the cap, even when factor^attempt overflows', () => {
    const unbounded = { ...policy, maxAttempts: Number.POSITIVE_INFINITY };
    expect(backoffCeiling(5000, unbounded)).toBe(1000);
    expect(backoffDelay(5000, unbounded, () => 0.999)).toBe(999);
  });

  it('defaults: base 250 ms, factor 2, cap 30 s, unlimited attempts', () => {
    expect(DEFAULT_BACKOFF).toEqual({ baseMs: 250, factor: 2, capMs: 30_000, maxAttempts: Number.POSITIVE_INFINITY });
    expect(backoffPolicy({ baseMs: 10 })).toEqual({ ...DEFAULT_BACKOFF, baseMs: 10 });
  });

  it.each([{ baseMs: -1 }, { factor: 0.5 }, { capMs: -5 }, { maxAttempts: -1 }, { baseMs: Number.NaN }])('refuses %o', (bad) => {
    expect(() => backoffPolicy(bad)).toThrow(RangeError);
  });
});
