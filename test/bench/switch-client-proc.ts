/**
 * Bench child for the switch- and resume-time scenario (switch-time.ts): the
 * clients of one crawl room.
 *
 * - Raw legacy clients: plain `ws` sockets on `/api/crawl-progress/:id` that
 *   opt in to `switchyard_seq=1` (frames carry `seq`, to check for gaps) and
 *   `switchyard_notify=1` (a `switchyard_stage` frame when the stage changes).
 *   They never move: the server switches their session between the legacy
 *   handlers and the adapter in place, and the notice, written in the same
 *   synchronous pass as that switch, is the only thing on the wire that shows
 *   when it happened.
 * - SDK clients: `connect()` from src/client with `ws` as WebSocketImpl and
 *   the SDK defaults (discovery, backoff 250 ms base with full jitter); they
 *   follow the stage to the other transport and resume by sequence after a cut.
 *
 * Every time is taken in this process with `now()` (ipc.ts), except the cut
 * stamp, which the server child takes on the same cross-process clock.
 */
import { WebSocket } from 'ws';
import { connect, type SwitchyardClient, type TransportKind } from '../../src/client/index.js';
import { now, serve, sleep, whenOpen, withTimeout } from './ipc.js';
import type { HeadCheck, ResumeObservation, SwitchClientApi, SwitchObservation, SwitchStage } from './protocol.js';

interface RawClient {
  ws: WebSocket;
  lastSeq: number | undefined;
  gaps: number;
  duplicates: number;
  target: string | undefined;
  noticeAt: number | undefined;
}

interface SdkEntry {
  client: SwitchyardClient<'crawl-progress'>;
  last: number | undefined;
  gaps: number;
  duplicates: number;
  warnings: number;
  resyncs: number;
  failed: boolean;
  // Switch round marks.
  expected: TransportKind | undefined;
  transportAt: number | undefined;
  noticeAt: number | undefined;
  // Resume round marks.
  armed: boolean;
  delivered: Map<number, number>;
  reconnects: number;
  backoffMs: number;
  lostAt: number | undefined;
  connectedAt: number | undefined;
}

const raw: RawClient[] = [];
const sdk: SdkEntry[] = [];
/** SDK resyncs counted before the armed cut round. */
let resyncBaseline = 0;

const SEQ_AT_END = /,"seq":(\d+)\}$/;

/** Poll `done` every 10 ms until true or `timeoutMs` elapsed (bounded); resolves with the last answer. */
async function pollUntil(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (let i = 0; i < 100_000 && !done(); i++) {
    if (Date.now() >= end) return false;
    await sleep(10);
  }
  return done();
}

function openRaw(base: string, progressId: string, index: number, timeoutMs: number): Promise<RawClient> {
  const url = `${base.replace(/^http/, 'ws')}/api/crawl-progress/${encodeURIComponent(progressId)}?switchyard_seq=1&switchyard_notify=1&client_id=raw-${index}`;
  const ws = new WebSocket(url, { perMessageDeflate: false });
  const c: RawClient = { ws, lastSeq: undefined, gaps: 0, duplicates: 0, target: undefined, noticeAt: undefined };
  ws.on('error', () => {});
  ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    const text = (data as Buffer).toString();
    if (text.startsWith('{"type":"switchyard_stage"')) {
      const notice = JSON.parse(text) as { stage?: string };
      if (c.noticeAt === undefined && notice.stage === c.target) c.noticeAt = now();
      return;
    }
    const match = SEQ_AT_END.exec(text);
    if (!match) return; // the opening frame and heartbeats carry no seq
    const seq = Number(match[1]);
    if (c.lastSeq !== undefined) {
      if (seq <= c.lastSeq) c.duplicates++;
      else if (seq > c.lastSeq + 1) c.gaps++;
    }
    c.lastSeq = Math.max(seq, c.lastSeq ?? 0);
  });
  return whenOpen(ws, url, timeoutMs).then(() => c);
}

function openSdk(url: string, progressId: string, index: number): SdkEntry {
  const client = connect({ url, service: 'crawl-progress', params: { progress_id: progressId }, clientId: `sdk-${index}`, WebSocketImpl: WebSocket });
  const e: SdkEntry = {
    client, last: undefined, gaps: 0, duplicates: 0, warnings: 0, resyncs: 0, failed: false,
    expected: undefined, transportAt: undefined, noticeAt: undefined,
    armed: false, delivered: new Map(), reconnects: 0, backoffMs: 0, lostAt: undefined, connectedAt: undefined,
  };
  client.on('progress_update', (p) => {
    const seq = p.seq;
    if (e.last !== undefined) {
      if (seq <= e.last) e.duplicates++;
      else if (seq > e.last + 1) e.gaps++;
    }
    e.last = Math.max(seq, e.last ?? 0);
    // Bounded: armed only for one cut round, and a round publishes a few dozen events.
    if (e.armed && e.delivered.size < 10_000) e.delivered.set(seq, now());
  });
  client.on('transport', (change) => {
    if (e.expected !== undefined && change.to === e.expected && e.transportAt === undefined) e.transportAt = now();
  });
  client.on('state', (state) => {
    if (state.state === 'switching' && e.expected !== undefined && e.noticeAt === undefined) e.noticeAt = now();
    if (state.state === 'reconnecting' && e.armed) {
      e.lostAt ??= now();
      e.reconnects++;
      e.backoffMs += state.delayMs;
    }
    if (state.state === 'connected' && e.armed && e.lostAt !== undefined) e.connectedAt = now();
    if (state.state === 'failed') e.failed = true;
  });
  client.on('warning', () => {
    e.warnings++;
  });
  client.on('resync', () => {
    e.resyncs++;
    // A snapshot follows and replaces the state: contiguity restarts from it.
    e.last = undefined;
  });
  return e;
}

function transports(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const e of sdk) {
    const key = e.client.transport ?? e.client.state.state;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

serve<SwitchClientApi>({
  async connect({ url, legacy, sdk: sdkCount, progressId, timeoutMs }) {
    const started = now();
    // Raw clients: at most 50 handshakes in flight; bounded by `legacy`.
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < legacy) raw.push(await openRaw(url, progressId, next++, timeoutMs));
    };
    await Promise.all(Array.from({ length: Math.min(50, legacy) }, worker));
    // SDK clients: batches of 25 (each asks discovery, then opens its transport).
    for (let i = 0; i < sdkCount; i += 25) {
      const batch: SdkEntry[] = [];
      for (let k = i; k < Math.min(sdkCount, i + 25); k++) batch.push(openSdk(url, progressId, k));
      sdk.push(...batch);
      await Promise.all(batch.map((e) => e.client.whenConnected(timeoutMs)));
    }
    return { legacy: raw.length, sdk: sdk.length, ms: now() - started, sdkTransports: transports() };
  },

  async switch({ url, adminToken, stage, timeoutMs }): Promise<SwitchObservation> {
    const expected: TransportKind = stage === 'socketio' ? 'socketio' : 'legacy';
    for (const c of raw) {
      c.target = stage satisfies SwitchStage;
      c.noticeAt = undefined;
    }
    for (const e of sdk) {
      e.expected = expected;
      e.transportAt = undefined;
      e.noticeAt = undefined;
    }
    const t0 = now();
    const res = await fetch(`${url}/api/admin/stages/crawl-progress`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
      body: JSON.stringify({ stage }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.arrayBuffer();
    const putMs = now() - t0;
    if (res.status !== 200) throw new Error(`PUT /api/admin/stages/crawl-progress ${stage}: HTTP ${res.status}`);
    await pollUntil(() => raw.every((c) => c.noticeAt !== undefined) && sdk.every((e) => e.transportAt !== undefined), Math.max(1, timeoutMs - putMs));
    const rel = (t: number | undefined): number[] => (t === undefined ? [] : [t - t0]);
    const result: SwitchObservation = {
      t0, putStatus: res.status, putMs,
      legacyMs: raw.flatMap((c) => rel(c.noticeAt)),
      sdkMs: sdk.flatMap((e) => rel(e.transportAt)),
      sdkNoticeMs: sdk.flatMap((e) => rel(e.noticeAt)),
      legacyMissing: raw.filter((c) => c.noticeAt === undefined).length,
      sdkMissing: sdk.filter((e) => e.transportAt === undefined).length,
    };
    for (const e of sdk) e.expected = undefined;
    for (const c of raw) c.target = undefined;
    return result;
  },

  async waitHead({ head, timeoutMs }): Promise<HeadCheck> {
    const rawAt = (): number => raw.filter((c) => (c.lastSeq ?? 0) < head).length;
    const sdkAt = (): number => sdk.filter((e) => (e.client.lastSeq ?? 0) < head).length;
    const complete = await pollUntil(() => rawAt() === 0 && sdkAt() === 0, timeoutMs);
    const sum = (list: number[]): number => list.reduce((a, b) => a + b, 0);
    return {
      complete, head,
      legacyBehind: rawAt(),
      sdkBehind: sdkAt(),
      legacyGaps: sum(raw.map((c) => c.gaps)),
      legacyDuplicates: sum(raw.map((c) => c.duplicates)),
      sdkWarnings: sum(sdk.map((e) => e.warnings)),
      sdkResyncs: sum(sdk.map((e) => e.resyncs)),
      sdkGaps: sum(sdk.map((e) => e.gaps + e.duplicates)),
      sdkFailed: sdk.filter((e) => e.failed).length,
      sdkTransports: transports(),
    };
  },

  async closeLegacy({ timeoutMs }) {
    const closing = raw.splice(0);
    await Promise.all(closing.map((c) => withTimeout(new Promise<void>((resolve) => {
      if (c.ws.readyState === WebSocket.CLOSED) return resolve();
      c.ws.once('close', () => resolve());
      c.ws.close(1000);
    }), timeoutMs, 'legacy close').catch(() => c.ws.terminate())));
    return { closed: closing.length };
  },

  armResume() {
    resyncBaseline = sdk.reduce((n, e) => n + e.resyncs, 0);
    for (const e of sdk) {
      e.armed = true;
      e.delivered.clear();
      e.reconnects = 0;
      e.backoffMs = 0;
      e.lostAt = undefined;
      e.connectedAt = undefined;
    }
    return undefined;
  },

  async waitResume({ cutAt, head, timeoutMs }): Promise<ResumeObservation> {
    await pollUntil(() => sdk.every((e) => (e.client.lastSeq ?? 0) >= head), timeoutMs);
    const totalMs: number[] = [];
    const activeMs: number[] = [];
    const noticedMs: number[] = [];
    const connectedMs: number[] = [];
    let missing = 0;
    for (const e of sdk) {
      if (e.lostAt !== undefined) noticedMs.push(e.lostAt - cutAt);
      if (e.connectedAt !== undefined) connectedMs.push(e.connectedAt - cutAt);
      // The time the head itself was delivered (a resync may deliver it as a snapshot, which also counts).
      let at: number | undefined;
      for (const [seq, t] of e.delivered) if (seq >= head && (at === undefined || t < at)) at = t;
      if (at === undefined) {
        missing++;
        continue;
      }
      totalMs.push(at - cutAt);
      activeMs.push(at - cutAt - e.backoffMs);
    }
    const result: ResumeObservation = {
      totalMs, activeMs, noticedMs, connectedMs, missing,
      resyncs: sdk.reduce((n, e) => n + e.resyncs, 0) - resyncBaseline,
      unnoticed: sdk.filter((e) => e.reconnects === 0).length,
      attempts: sdk.reduce((n, e) => n + e.reconnects, 0),
    };
    for (const e of sdk) {
      e.armed = false;
      e.delivered.clear();
    }
    return result;
  },

  cpu() {
    const usage = process.cpuUsage();
    return { micros: usage.user + usage.system };
  },

  async stop() {
    for (const e of sdk.splice(0)) e.client.close();
    for (const c of raw.splice(0)) c.ws.terminate();
    setTimeout(() => process.exit(0), 20);
    return undefined;
  },
});
