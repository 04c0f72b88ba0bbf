import type { HostedId } from '../registry/contracts.js';

/** One disagreement between the legacy handlers and the adapter, kept for the operator. */
export interface ShadowSample {
  at: number;
  service: HostedId;
  /** The Socket.IO event (or `open` for the on-connect frames). */
  event: string;
  seq: number | null;
  legacy: readonly string[];
  adapter: readonly string[];
}

export interface ShadowCounts {
  matches: number;
  mismatches: number;
  samples: ShadowSample[];
}

/**
 * Shadow-mode bookkeeping: per service, how many frame comparisons matched,
 * how many did not, and the first mismatches as samples (bounded, so a broken
 * mapping cannot grow memory).
 */
export class ShadowRecorder {
  readonly #counts = new Map<HostedId, ShadowCounts>();
  readonly #maxSamples: number;
  readonly #onResult: ((service: HostedId, match: boolean) => void) | undefined;

  constructor(options: { maxSamples?: number; onResult?: (service: HostedId, match: boolean) => void } = {}) {
    this.#maxSamples = options.maxSamples ?? 20;
    this.#onResult = options.onResult;
  }

  /** Compare what the legacy handlers sent with what the adapter would have sent. */
  compare(service: HostedId, event: string, seq: number | null, legacy: readonly string[], adapter: readonly string[], now: number): boolean {
    const counts = this.#get(service);
    const same = legacy.length === adapter.length && legacy.every((frame, i) => frame === adapter[i]);
    if (same) counts.matches++;
    else {
      counts.mismatches++;
      if (counts.samples.length < this.#maxSamples) counts.samples.push({ at: now, service, event, seq, legacy: [...legacy], adapter: [...adapter] });
    }
    this.#onResult?.(service, same);
    return same;
  }

  /** Counts and samples of one service (consistency = matches / (matches + mismatches)). */
  report(service: HostedId): ShadowCounts & { consistency: number | null } {
    const counts = this.#get(service);
    const total = counts.matches + counts.mismatches;
    return { ...counts, samples: [...counts.samples], consistency: total === 0 ? null : counts.matches / total };
  }

  reset(service: HostedId): void {
    this.#counts.delete(service);
  }

  #get(service: HostedId): ShadowCounts {
    let counts = this.#counts.get(service);
    if (!counts) {
      counts = { matches: 0, mismatches: 0, samples: [] };
      this.#counts.set(service, counts);
    }
    return counts;
  }
}
