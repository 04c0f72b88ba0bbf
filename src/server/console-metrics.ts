import type { Registry } from 'prom-client';

/**
 * The console's one window on the Prometheus registry. A metric that does not
 * exist (yet) reads as `undefined`, which the page shows as "–": the console
 * never fails because a series is missing.
 */
export class ConsoleMetrics {
  readonly #registry: Registry;

  constructor(registry: Registry) {
    this.#registry = registry;
  }

  /**
   * Sum of a counter or gauge grouped by the given labels, keyed by their
   * values joined with `|` (e.g. `agent-chat|legacy`). Histogram sub-series
   * (`_bucket`, `_sum`, `_count`) are left out.
   */
  async sumBy(name: string, labels: readonly string[]): Promise<Map<string, number> | undefined> {
    const metric = this.#registry.getSingleMetric(name);
    if (!metric) return undefined;
    const { values } = await metric.get();
    const sums = new Map<string, number>();
    for (const entry of values) {
      const sub = (entry as { metricName?: string }).metricName;
      if (sub !== undefined && sub !== name) continue;
      const key = labels.map((label) => String(entry.labels[label] ?? '')).join('|');
      sums.set(key, (sums.get(key) ?? 0) + entry.value);
    }
    return sums;
  }
}
