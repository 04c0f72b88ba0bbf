/**
 * What the bench orchestrator (`run.ts`) asks its two kinds of child process,
 * and what they answer. Each entry is one RPC: `arg` in, `result` out.
 */

/** The crawl every fan-out client watches (room `crawl_bench-fanout`). */
export const FANOUT_PROGRESS_ID = 'bench-fanout';

/** A server under test: Switchyard itself or one of the two baselines. */
export type Target = 'switchyard' | 'ws' | 'socketio';

/** The transport a client group speaks. */
export type ClientKind = 'legacy' | 'sio';

/** Stamp of the event in every benchmark payload: run id, index, publish time. */
export interface BenchStamp {
  r: number;
  i: number;
  /** `performance.timeOrigin + performance.now()` at publish, in ms (comparable across local processes). */
  t: number;
}

export interface MemorySample {
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  rss: number;
}

export interface CpuSample {
  /** process.cpuUsage() user + system, microseconds. */
  micros: number;
}

export interface PublishResult {
  /** Stamp just before the first publish (ms, cross-process clock). */
  publishStart: number;
  publishEnd: number;
  published: number;
}

export interface ServerApi {
  start: { arg: { target: Target }; result: { port: number } };
  /** Publish `events` events as fast as possible, `batch` per event-loop turn. */
  flood: { arg: { run: number; events: number; batch: number }; result: PublishResult };
  /** Publish `events` events at a steady `ratePerSec`. */
  paced: { arg: { run: number; events: number; ratePerSec: number }; result: PublishResult };
  cpu: { arg: undefined; result: CpuSample };
  /** Heap/RSS after forced GCs (`--expose-gc` is always passed to this process). */
  memory: { arg: undefined; result: MemorySample };
  stop: { arg: undefined; result: undefined };
}

export interface LatencySummary {
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

export interface DeliveryStats {
  complete: boolean;
  expected: number;
  received: number;
  /** Fewest / most events one client of the group got in this run. */
  perClientMin: number;
  perClientMax: number;
  /** Events that arrived with an index not greater than the previous one of the same client. */
  outOfOrder: number;
  firstRecv: number;
  lastRecv: number;
  /** Receive time minus publish stamp, per delivery, ms. */
  latency: LatencySummary;
  /** CPU the client process spent from `arm` to the last delivery (to spot a client-bound run). */
  clientCpuMs: number;
  clientWallMs: number;
}

export interface ClientApi {
  /** Open `count` clients as group `group`; all in room `progressId`, or one room each (`<progressId>-<i>`). */
  connect: {
    arg: { group: string; kind: ClientKind; url: string; count: number; progressId: string; distinctRooms: boolean; timeoutMs: number };
    result: { connected: number; ms: number };
  };
  /** Reset the group's counters for run `run` of `events` events. */
  arm: { arg: { group: string; run: number; events: number }; result: undefined };
  /** Resolve when every client of the group got every event of the armed run, or after `timeoutMs` (then `complete: false`). */
  wait: { arg: { group: string; timeoutMs: number }; result: DeliveryStats };
  disconnect: { arg: { group: string; timeoutMs: number }; result: undefined };
  stop: { arg: undefined; result: undefined };
}
