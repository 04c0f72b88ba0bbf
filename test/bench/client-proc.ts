/**
 * Bench child: the clients. Holds groups of raw `ws` clients (legacy frames)
 * or `socket.io-client` sockets (websocket transport), records for each
 * delivery the receive time minus the publish stamp, and reports per run.
 * Driven by run.ts over IPC; runs apart from the servers so their CPU and
 * memory are measured alone.
 */
import { io as ioClient } from 'socket.io-client';
import { WebSocket } from 'ws';
import { now, serve, sleep, whenOpen, withTimeout } from './ipc.js';
import type { BenchStamp, ClientApi, ClientKind, DeliveryStats } from './protocol.js';
import { summarize } from './stats.js';

/** Counts and latencies of one group for the armed run. */
class Recorder {
  readonly clients: number;
  run = -1;
  events = 0;
  counts: Int32Array;
  lastIndex: Int32Array;
  latencies = new Float64Array(0);
  received = 0;
  outOfOrder = 0;
  firstRecv = 0;
  lastRecv = 0;
  cpuStart = 0;
  wallStart = 0;
  cpuEnd = 0;
  wallEnd = 0;
  onComplete: (() => void) | undefined;

  constructor(clients: number) {
    this.clients = clients;
    this.counts = new Int32Array(clients);
    this.lastIndex = new Int32Array(clients);
  }

  get expected(): number {
    return this.clients * this.events;
  }

  arm(run: number, events: number): void {
    this.run = run;
    this.events = events;
    this.counts.fill(0);
    this.lastIndex.fill(-1);
    this.latencies = new Float64Array(this.clients * events);
    this.received = 0;
    this.outOfOrder = 0;
    this.firstRecv = 0;
    this.lastRecv = 0;
    this.cpuEnd = 0;
    this.wallEnd = 0;
    this.onComplete = undefined;
    const cpu = process.cpuUsage();
    this.cpuStart = cpu.user + cpu.system;
    this.wallStart = now();
  }

  record(client: number, stamp: BenchStamp): void {
    if (stamp.r !== this.run) return;
    const t = now();
    if (this.received === 0) this.firstRecv = t;
    this.lastRecv = t;
    if (this.received < this.latencies.length) this.latencies[this.received] = t - stamp.t;
    this.received++;
    this.counts[client]!++;
    if (stamp.i <= this.lastIndex[client]!) this.outOfOrder++;
    this.lastIndex[client] = stamp.i;
    if (this.received === this.expected) {
      const cpu = process.cpuUsage();
      this.cpuEnd = cpu.user + cpu.system;
      this.wallEnd = now();
      this.onComplete?.();
    }
  }

  stats(): DeliveryStats {
    let min = Number.POSITIVE_INFINITY;
    let max = 0;
    for (const c of this.counts) {
      min = Math.min(min, c);
      max = Math.max(max, c);
    }
    const cpu = process.cpuUsage();
    const cpuEnd = this.cpuEnd || cpu.user + cpu.system;
    const wallEnd = this.wallEnd || now();
    const n = Math.min(this.received, this.latencies.length);
    return {
      complete: this.received === this.expected && min === this.events && max === this.events,
      expected: this.expected,
      received: this.received,
      perClientMin: this.clients === 0 ? 0 : min,
      perClientMax: max,
      outOfOrder: this.outOfOrder,
      firstRecv: this.firstRecv,
      lastRecv: this.lastRecv,
      latency: summarize(this.latencies.subarray(0, n)),
      clientCpuMs: (cpuEnd - this.cpuStart) / 1000,
      clientWallMs: wallEnd - this.wallStart,
    };
  }
}

interface Group {
  recorder: Recorder;
  closers: Array<() => Promise<void>>;
}

const groups = new Map<string, Group>();

function group(name: string): Group {
  const g = groups.get(name);
  if (!g) throw new Error(`no client group ${name}`);
  return g;
}

const STAMP = /"bench":\{"r":(\d+),"i":(\d+),"t":([0-9.e+]+)\}/;

/** One legacy client on `/api/crawl-progress/:id`; resolves on open with its closer. */
function openLegacy(url: string, index: number, recorder: Recorder, timeoutMs: number): Promise<() => Promise<void>> {
  // Our own frames: skip UTF-8 validation to keep the client's share of the CPU small.
  const ws = new WebSocket(url, { perMessageDeflate: false, skipUTF8Validation: true });
  ws.on('error', () => {});
  ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    // Heartbeats and the waiting/snapshot frame carry no stamp. The stamp is
    // read with a regex rather than JSON.parse, again to keep the client cheap.
    const match = STAMP.exec((data as Buffer).toString());
    if (match) recorder.record(index, { r: Number(match[1]), i: Number(match[2]), t: Number(match[3]) });
  });
  const close = async (): Promise<void> => {
    if (ws.readyState === WebSocket.CLOSED) return;
    const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
    if (ws.readyState === WebSocket.OPEN) ws.close(1000);
    else ws.terminate();
    await withTimeout(closed, 2000, 'legacy close').catch(() => ws.terminate());
  };
  return whenOpen(ws, url, timeoutMs).then(() => close);
}

/** One Socket.IO client on `/crawl`, joined to the crawl's room (ack awaited). */
async function openSio(baseUrl: string, progressId: string, index: number, recorder: Recorder, timeoutMs: number): Promise<() => Promise<void>> {
  const socket = ioClient(`${baseUrl}/crawl`, { transports: ['websocket'], reconnection: false, forceNew: true, timeout: timeoutMs });
  socket.on('progress_update', (p: { bench?: BenchStamp } | undefined) => {
    if (p?.bench) recorder.record(index, p.bench);
  });
  const close = async (): Promise<void> => {
    socket.disconnect();
  };
  try {
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve());
        socket.once('connect_error', reject);
      }),
      timeoutMs,
      'socket.io connect',
    );
    const ack = (await socket.timeout(timeoutMs).emitWithAck('join_crawl', { progress_id: progressId })) as { ok?: boolean };
    if (!ack?.ok) throw new Error(`join_crawl refused: ${JSON.stringify(ack)}`);
    return close;
  } catch (error) {
    socket.disconnect();
    throw error;
  }
}

serve<ClientApi>({
  async connect({ group: name, kind, url, count, progressId, distinctRooms, timeoutMs }) {
    if (groups.has(name)) throw new Error(`group ${name} exists`);
    const recorder = new Recorder(count);
    const g: Group = { recorder, closers: [] };
    groups.set(name, g);
    const started = now();
    const open = (i: number): Promise<() => Promise<void>> => {
      const id = distinctRooms ? `${progressId}-${i}` : progressId;
      return openKind(kind, url, id, i, recorder, timeoutMs);
    };
    // At most 50 handshakes in flight; bounded by `count`.
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < count) {
        const i = next++;
        g.closers.push(await open(i));
      }
    };
    await Promise.all(Array.from({ length: Math.min(50, count) }, worker));
    return { connected: g.closers.length, ms: now() - started };
  },

  arm({ group: name, run, events }) {
    group(name).recorder.arm(run, events);
    return undefined;
  },

  async wait({ group: name, timeoutMs }) {
    const recorder = group(name).recorder;
    if (recorder.received < recorder.expected) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        recorder.onComplete = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    recorder.onComplete = undefined;
    return recorder.stats();
  },

  async disconnect({ group: name, timeoutMs }) {
    const g = groups.get(name);
    if (!g) return undefined;
    groups.delete(name);
    await withTimeout(Promise.all(g.closers.map((close) => close())), timeoutMs, `disconnect ${name}`).catch(() => {});
    return undefined;
  },

  async stop() {
    for (const [name, g] of groups) {
      groups.delete(name);
      await withTimeout(Promise.all(g.closers.map((close) => close())), 3000, `disconnect ${name}`).catch(() => {});
    }
    await sleep(10);
    setTimeout(() => process.exit(0), 20);
    return undefined;
  },
});

function openKind(kind: ClientKind, url: string, progressId: string, index: number, recorder: Recorder, timeoutMs: number): Promise<() => Promise<void>> {
  return kind === 'legacy'
    ? openLegacy(`${url.replace(/^http/, 'ws')}/api/crawl-progress/${encodeURIComponent(progressId)}`, index, recorder, timeoutMs)
    : openSio(url, progressId, index, recorder, timeoutMs);
}
