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

// --- switch and resume (switch-time.ts) ----------------------------------------

/** The stage a switch round moves crawl-progress to: cutover or rollback. */
export type SwitchStage = 'socketio' | 'legacy';

/** What the server saw of the last stage change (StageController.lastSwitch plus cross-process stamps). */
export interface StageReport {
  /** Stamp when the flag source announced the change (before any connection was re-decided). */
  changedAt: number;
  /** Stamp right after StageController.reevaluate() returned (every open connection re-decided). */
  reevaluatedAt: number;
  /** StageController.lastSwitch.durationMs: the re-evaluation itself. */
  durationMs: number;
  legacySwitched: number;
  socketIoDisconnected: number;
}

export interface SwitchServerApi {
  /** Switchyard with crawl-progress only, stages from admin overrides (initial `stage`), admin API on. */
  start: { arg: { adminToken: string; stage: SwitchStage }; result: { port: number } };
  /** Publish `events` crawl events to the bench room at `ratePerSec`; answers with the room head after the last. */
  paced: { arg: { run: number; events: number; ratePerSec: number }; result: PublishResult & { head: number } };
  /** The last stage change as the server measured it. */
  stageReport: { arg: undefined; result: StageReport };
  /**
   * Destroy the raw TCP socket of every open WebSocket upgrade whose URL starts with `pathPrefix` and contains
   * `urlIncludes` (no close frame, like a network cut), then publish `missed` events in the same tick.
   */
  cut: { arg: { pathPrefix: string; urlIncludes: string; missed: number; run: number }; result: { cutAt: number; cut: number; head: number } };
  cpu: { arg: undefined; result: CpuSample };
  stop: { arg: undefined; result: undefined };
}

/** One switch round as the clients saw it; times are ms after `t0` (just before the PUT was sent). */
export interface SwitchObservation {
  t0: number;
  putStatus: number;
  /** PUT sent → response received. */
  putMs: number;
  /** Raw legacy clients: the `switchyard_stage` notice naming the new stage (one per client that got it). */
  legacyMs: number[];
  /** SDK clients: the `transport` event to the expected transport. */
  sdkMs: number[];
  /** SDK clients: the `state: switching` event (the server's notice reached the SDK). */
  sdkNoticeMs: number[];
  legacyMissing: number;
  sdkMissing: number;
}

/** Per-group delivery check after a round: every client at the head, no gap, no duplicate. */
export interface HeadCheck {
  complete: boolean;
  head: number;
  legacyBehind: number;
  sdkBehind: number;
  /** Raw legacy clients: seq jumps (> last + 1) and repeats (≤ last) among sequenced frames. */
  legacyGaps: number;
  legacyDuplicates: number;
  /** SDK clients: `warning` events (SEQUENCE_GAP, FRAME_UNDECODABLE…), `resync` events, non-contiguous deliveries. */
  sdkWarnings: number;
  sdkResyncs: number;
  sdkGaps: number;
  sdkFailed: number;
  sdkTransports: Record<string, number>;
}

/** One cut round as the SDK clients saw it. */
export interface ResumeObservation {
  /** Cut (server stamp) → the client delivered the room head, per client that did. */
  totalMs: number[];
  /** The same minus the backoff delay the client drew before reconnecting. */
  activeMs: number[];
  /** Cut → the client's first `reconnecting` state (the loss noticed), per client. */
  noticedMs: number[];
  /** Cut → `connected` again (joined; the replay follows), per client. */
  connectedMs: number[];
  missing: number;
  resyncs: number;
  /** Clients that did not report a `reconnecting` state (the cut went unnoticed). */
  unnoticed: number;
  /** `reconnecting` states over all clients (more than one per client means a failed attempt). */
  attempts: number;
}

export interface SwitchClientApi {
  /** Open `legacy` raw `ws` clients (notices and seq opted in) and `sdk` SDK clients on crawl `progressId`. */
  connect: {
    arg: { url: string; legacy: number; sdk: number; progressId: string; timeoutMs: number };
    result: { legacy: number; sdk: number; ms: number; sdkTransports: Record<string, number> };
  };
  /** Stamp t0, `PUT /api/admin/stages/crawl-progress {stage}`, wait until every client switched (or `timeoutMs`). */
  switch: { arg: { url: string; adminToken: string; stage: SwitchStage; timeoutMs: number }; result: SwitchObservation };
  /** Wait until every client delivered `head` (or `timeoutMs`); report gaps/duplicates since `connect`. */
  waitHead: { arg: { head: number; timeoutMs: number }; result: HeadCheck };
  /** Close the raw legacy clients (the resume rounds measure the SDK clients alone). */
  closeLegacy: { arg: { timeoutMs: number }; result: { closed: number } };
  /** Start watching for a cut: clear the SDK clients' reconnect/delivery marks. */
  armResume: { arg: undefined; result: undefined };
  /** Wait until every SDK client delivered `head` after the cut at `cutAt` (or `timeoutMs`). */
  waitResume: { arg: { cutAt: number; head: number; timeoutMs: number }; result: ResumeObservation };
  cpu: { arg: undefined; result: CpuSample };
  stop: { arg: undefined; result: undefined };
}
