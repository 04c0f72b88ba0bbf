/**
 * Reconnect delays: exponential backoff with full jitter (the delay is drawn
 * uniformly from `[0, min(capMs, baseMs * factor^(attempt-1)))`), so that
 * hundreds of clients cut at the same moment do not come back at the same
 * moment. Pure: randomness is injected, which keeps the table test exact.
 */
export interface BackoffPolicy {
  /** Ceiling of the first delay, in ms. Default 250. */
  baseMs: number;
  /** Growth of the ceiling per attempt (≥ 1). Default 2. */
  factor: number;
  /** Largest ceiling, in ms. Default 30000. */
  capMs: number;
  /** Consecutive failed attempts before the client gives up (`failed {code: 'RECONNECT_EXHAUSTED'}`). Default Infinity. */
  maxAttempts: number;
}

export const DEFAULT_BACKOFF: Readonly<BackoffPolicy> = Object.freeze({ baseMs: 250, factor: 2, capMs: 30_000, maxAttempts: Number.POSITIVE_INFINITY });

/** Merge a partial policy over the defaults; throws RangeError on values that cannot work. */
export function backoffPolicy(partial: Partial<BackoffPolicy> = {}): BackoffPolicy {
  const policy = { ...DEFAULT_BACKOFF, ...partial };
  if (!(policy.baseMs >= 0)) throw new RangeError(`backoff.baseMs must be ≥ 0, got ${policy.baseMs}`);
  if (!(policy.factor >= 1)) throw new RangeError(`backoff.factor must be ≥ 1, got ${policy.factor}`);
  if (!(policy.capMs >= 0)) throw new RangeError(`backoff.capMs must be ≥ 0, got ${policy.capMs}`);
  if (!(policy.maxAttempts >= 0)) throw new RangeError(`backoff.maxAttempts must be ≥ 0, got ${policy.maxAttempts}`);
  return policy;
}

/** The ceiling of attempt `attempt` (1-based), before jitter. */
export function backoffCeiling(attempt: number, policy: BackoffPolicy): number {
  // factor ** large overflows to Infinity, which the cap absorbs.
  return Math.min(policy.capMs, policy.baseMs * policy.factor ** Math.max(0, attempt - 1));
}

/**
 * The delay before attempt `attempt` (1-based), or `undefined` once
 * `attempt > maxAttempts`. `random` returns a number in [0, 1), like Math.random.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number | undefined {
  if (attempt > policy.maxAttempts) return undefined;
  return Math.floor(random() * backoffCeiling(attempt, policy));
}
