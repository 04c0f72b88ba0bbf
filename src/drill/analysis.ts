/**
 * Counting what went wrong: given what the producer published and what each
 * client received (in arrival order), the losses, repeats and inversions,
 * attributed to the step during which the event was published.
 */
import type { Arrival } from './observers.js';
import type { Published } from './producer.js';

export interface DeliveryCounts {
  /** Events published in the window. */
  published: number;
  /** Deliveries expected (published × clients). */
  expected: number;
  /** Expected deliveries that never came. */
  lost: number;
  /** Deliveries beyond the first of one event to one client. */
  duplicated: number;
  /** Deliveries that came after a later event had already arrived at that client. */
  reordered: number;
}

export const emptyCounts = (): DeliveryCounts => ({ published: 0, expected: 0, lost: 0, duplicated: 0, reordered: 0 });

export function addCounts(into: DeliveryCounts, more: DeliveryCounts): DeliveryCounts {
  into.published += more.published;
  into.expected += more.expected;
  into.lost += more.lost;
  into.duplicated += more.duplicated;
  into.reordered += more.reordered;
  return into;
}

/**
 * Count per window: `windowOf(n)` names the window a marker belongs to (the
 * step it was published in). Every client is expected to receive every
 * published marker exactly once, in increasing order.
 */
export function countDeliveries(
  published: readonly Published[],
  clients: ReadonlyArray<readonly Arrival[]>,
  windows: number,
  windowOf: (n: number) => number,
): DeliveryCounts[] {
  const result = Array.from({ length: windows }, emptyCounts);
  const publishedSet = new Set(published.map((p) => p.n));
  for (const p of published) {
    const w = result[windowOf(p.n)]!;
    w.published++;
    w.expected += clients.length;
  }
  for (const arrivals of clients) {
    const seen = new Map<number, number>();
    let highest = 0;
    for (const { n } of arrivals) {
      // A marker nobody published in this drill (a failed request that still got through) still counts where it lands.
      const w = result[windowOf(n)]!;
      const times = (seen.get(n) ?? 0) + 1;
      seen.set(n, times);
      if (times > 1) w.duplicated++;
      else if (n < highest) w.reordered++;
      if (n > highest) highest = n;
    }
    for (const n of publishedSet) if (!seen.has(n)) result[windowOf(n)]!.lost++;
  }
  return result;
}

/** The value at quantile q (0..1) of a sample, nearest rank; undefined when empty. */
export function quantile(values: readonly number[], q: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

export interface Spread {
  count: number;
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
}

export function spread(values: readonly number[]): Spread {
  const round = (v: number | undefined): number | null => (v === undefined ? null : Math.round(v * 10) / 10);
  return { count: values.length, p50Ms: round(quantile(values, 0.5)), p99Ms: round(quantile(values, 0.99)), maxMs: round(quantile(values, 1)) };
}

/** Delivery latency samples: arrival time minus the producer's send time, first delivery of each marker per client. */
export function latencies(published: readonly Published[], clients: ReadonlyArray<readonly Arrival[]>): Array<{ at: number; ms: number }> {
  const sentAt = new Map(published.map((p) => [p.n, p.at]));
  const samples: Array<{ at: number; ms: number }> = [];
  for (const arrivals of clients) {
    const first = new Set<number>();
    for (const { n, at } of arrivals) {
      if (first.has(n)) continue;
      first.add(n);
      const sent = sentAt.get(n);
      if (sent !== undefined) samples.push({ at: sent, ms: at - sent });
    }
  }
  return samples;
}
