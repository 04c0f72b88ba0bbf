/**
 * HOOK — switch-time benchmark (not implemented yet; the lead fills it in).
 *
 * What it should measure: the time from a stage/flag change of a service
 * (e.g. crawl-progress `legacy` → `socketio`) to the moment the LAST affected
 * live client is served by the new side. Suggested procedure, once the
 * rollout API (src/rollout/stage-controller.ts, src/flags/*) is settled:
 *   1. start a server child (see server-proc.ts) with N legacy clients on one
 *      crawl room, connected with `?switchyard_seq=1` so frames carry `seq`;
 *   2. stamp t0 and flip the flag (override source / admin API);
 *   3. keep publishing at a steady rate; a client counts as switched at the
 *      first frame produced by the adapter (or the `switchyard_stage` notice
 *      frame, when sessions opt in to notices);
 *   4. report p50 / p99 / max of (switched − t0) and assert no seq gap or dup.
 * Keep it bounded in count and time like the other scenarios (run.ts).
 */

export interface SwitchTimeOptions {
  /** Live legacy clients to switch. */
  clients: number;
  /** Abort after this many ms. */
  timeoutMs: number;
}

export interface SwitchTimeResult {
  measured: boolean;
  /** Why not measured, or how it was measured. */
  note: string;
  /** Time from the flag change to the last client switched (ms). */
  lastClientMs?: number;
  p50Ms?: number;
  p99Ms?: number;
}

/** Called by run.ts after the other scenarios; its result lands in the report as "switch time". */
export async function benchSwitchTime(options: SwitchTimeOptions): Promise<SwitchTimeResult> {
  return {
    measured: false,
    note: `not measured (hook benchSwitchTime in test/bench/switch-time.ts is a stub; planned: ${options.clients} legacy clients, flag flip to last client switched)`,
  };
}
