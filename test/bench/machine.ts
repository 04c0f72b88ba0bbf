import { cpus } from 'node:os';
import { sleep } from './ipc.js';
import type { Deadline } from './scope.js';

/**
 * The machine is shared (other engineers' test runs, CI jobs): these helpers
 * tell how much of it processes other than the bench used, so a disturbed
 * round can be discarded and run again.
 */

/** A measured round during which other processes used more than this share of the machine is run again... */
export const DISTURBED_PCT = 20;
/** ...at most this many times per scenario. */
export const MAX_RERUNS = 3;
/** Before each measured round, wait while the machine is busier than this (at most QUIET_BUDGET_MS per scenario). */
export const QUIET_PCT = 10;
export const QUIET_BUDGET_MS = 20_000;

export interface MachineSample {
  busyMs: number;
  at: number;
}

/** Busy CPU time of the whole machine (all cores, ms) and a wall-clock stamp. */
export function machineCpu(): MachineSample {
  let busyMs = 0;
  for (const c of cpus()) busyMs += c.times.user + c.times.nice + c.times.sys + c.times.irq;
  return { busyMs, at: Date.now() };
}

/** Share of the machine (all cores) that processes other than the bench used between two samples. */
export function foreignCpuPct(a: MachineSample, b: MachineSample, benchCpuMs: number): number {
  const capacity = (b.at - a.at) * cpus().length;
  if (capacity <= 0) return 0;
  return Math.max(0, (100 * (b.busyMs - a.busyMs - benchCpuMs)) / capacity);
}

/**
 * Before a measured round: wait (bounded per round and per scenario) until
 * other processes leave the machine mostly idle. The bench's own processes are
 * idle at this point, so all busy CPU is someone else's.
 */
export async function waitForQuiet(d: Deadline, budget: { ms: number }, log: (message: string) => void): Promise<void> {
  const started = Date.now();
  let busy = 0;
  // Bounded: at most 20 samples of 250 ms, and by the scenario's quiet budget.
  for (let i = 0; i < 20 && budget.ms > 0 && d.remaining() > 30_000; i++) {
    const a = machineCpu();
    await sleep(250);
    busy = foreignCpuPct(a, machineCpu(), 0);
    if (busy < QUIET_PCT) break;
    budget.ms -= 250;
  }
  const waited = Date.now() - started;
  if (waited > 600) log(`  (waited ${(waited / 1000).toFixed(1)} s for other processes to quiet down; last sample ${busy.toFixed(0)}% busy)`);
}
