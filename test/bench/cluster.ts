/**
 * Cluster bench (`npm run bench`, scenario `cluster`; alone: `BENCH_ONLY=cluster
 * npm run bench`): what cluster mode costs per delivery against the embedded
 * mode, in the same run, with the CLI as an operator starts it.
 *
 * Three layouts, each a fresh set of server processes (`node --import tsx
 * src/cli.ts`, all seven services, per-address limits off), one crawl room:
 * - embedded: one node, no Redis;
 * - cluster, 1 node: the same with `--redis-url` (every publish is a Lua
 *   commit, applied back from the shared tx stream);
 * - cluster, 2 nodes: the room's subscribers split half and half over two
 *   nodes, the producer posting to the first.
 * Per layout: N Socket.IO clients (websocket) join one crawl room, then M
 * producer posts (`POST /api/producer/crawl-progress/:id/progress`) at a
 * steady rate, each carrying its send time. Latency = receive − send time
 * (producer HTTP call included, the same in every layout); server CPU per
 * delivery = user + system CPU of the layout's server processes during the
 * run (/proc/<pid>/stat) ÷ (N × M).
 *
 * Rollback reach: two cluster nodes, L raw legacy clients (notices on) on the
 * second; an admin override PUT on the first; time from the PUT to the last
 * client's `switchyard_stage` notice, R rounds flipping socketio ↔ legacy.
 *
 * Bounded: N, M, R, L are counts; every wait has a deadline; the whole
 * scenario takes about a minute. Needs Redis (REDIS_URL or 127.0.0.1:6379,
 * its own random key prefix, deleted after); skipped with a reason without it.
 * Output: test/bench/results/cluster.json and cluster.md.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { io as ioClient, type Socket } from 'socket.io-client';
import { WebSocket } from 'ws';
import { deleteKeys, redisAnswers, SHARED_REDIS_URL } from '../support/cluster.js';
import { median, percentile } from './stats.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));
const ADMIN_TOKEN = 'bench-admin-token';
const PROGRESS_ID = 'bench-cluster';
const START_TIMEOUT_MS = 30_000;
const WAIT_MS = 15_000;
/** Linux clock ticks per second (USER_HZ), the unit of /proc/<pid>/stat's utime and stime. */
const CLOCK_TICKS = 100;

export interface ClusterBenchConfig {
  clients: number;
  events: number;
  ratePerSec: number;
  rollbackClients: number;
  rollbackRounds: number;
  log: (line: string) => void;
}

interface LayoutResult {
  layout: string;
  deliveries: number;
  cpuUsPerDelivery: number;
  p50Ms: number;
  p99Ms: number;
  lost: number;
}

export interface ClusterBenchResult {
  status: 'ok' | 'skipped' | 'aborted';
  error?: string;
  config: Omit<ClusterBenchConfig, 'log'>;
  layouts: LayoutResult[];
  rollback?: { clients: number; roundsMs: number[]; medianMs: number };
  durationMs: number;
}

/** One server process, the CLI as an operator runs it. */
class ServerProcess {
  port = 0;
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;

  private constructor(args: readonly string[]) {
    // No per-address limits: every bench client and the producer come from 127.0.0.1.
    const unlimited = ['--connections-per-address', '0', '--messages-per-second', '0', '--producer-rps', '0', '--log-level', 'info'];
    this.#child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', '--port', '0', ...unlimited, ...args], {
      cwd: REPO, env: { ...process.env, SWITCHYARD_ADMIN_TOKEN: ADMIN_TOKEN, NODE_ENV: 'production' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#exited = new Promise((resolve) => this.#child.once('exit', () => resolve()));
  }

  static start(args: readonly string[]): Promise<ServerProcess> {
    const server = new ServerProcess(args);
    const tail: string[] = [];
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not listen within ${START_TIMEOUT_MS} ms: ${tail.join('\n')}`)), START_TIMEOUT_MS);
      let buffered = '';
      const onData = (chunk: Buffer): void => {
        buffered += chunk.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) {
          if (tail.push(line) > 20) tail.shift();
          if (server.port !== 0 || !line.includes('Switchyard listening')) continue;
          try {
            const { port } = JSON.parse(line) as { port?: number };
            if (typeof port === 'number') {
              server.port = port;
              clearTimeout(timer);
              resolve(server);
            }
          } catch {
            // not a JSON line
          }
        }
      };
      server.#child.stdout?.on('data', onData);
      server.#child.stderr?.on('data', onData);
      server.#child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`server exited (${code}) before listening: ${tail.join('\n')}`));
      });
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** User + system CPU so far, in µs. */
  async cpuUs(): Promise<number> {
    const stat = await readFile(`/proc/${this.#child.pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS;
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    this.#child.kill('SIGTERM');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 5000);
    await this.#exited;
    clearTimeout(timer);
  }
}

async function post(url: string, path: string, body: unknown, headers: Record<string, string> = {}, method = 'POST'): Promise<number> {
  const res = await fetch(url + path, { method, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body), signal: AbortSignal.timeout(5000) });
  await res.arrayBuffer();
  return res.status;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function until(condition: () => boolean, what: string, timeoutMs = WAIT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(10);
  }
}

/** N Socket.IO clients joined to the bench room, spread round-robin over `servers`; each records its latencies. */
async function joinClients(servers: readonly ServerProcess[], count: number, latencies: number[]): Promise<{ sockets: Socket[]; received: () => number }> {
  const sockets: Socket[] = [];
  let received = 0;
  for (let i = 0; i < count; i++) {
    const socket = ioClient(`${servers[i % servers.length]!.url}/crawl`, { transports: ['websocket'], reconnection: false, forceNew: true });
    socket.on('progress_update', (payload: { log?: unknown }) => {
      const sent = typeof payload.log === 'string' && payload.log.startsWith('t') ? Number(payload.log.slice(1)) : Number.NaN;
      if (!Number.isFinite(sent)) return;
      received++;
      latencies.push(performance.timeOrigin + performance.now() - sent);
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('a bench client did not connect')), WAIT_MS);
      socket.once('connect', () => { clearTimeout(timer); resolve(); });
      socket.once('connect_error', (error) => { clearTimeout(timer); reject(error); });
    });
    await socket.timeout(WAIT_MS).emitWithAck('join_crawl', { progress_id: PROGRESS_ID });
    sockets.push(socket);
  }
  return { sockets, received: () => received };
}

/** Paced producer posts to `target`, each log line carrying its send time; bounded by count. */
async function produce(target: string, events: number, ratePerSec: number, from: number): Promise<void> {
  const interval = 1000 / ratePerSec;
  const start = performance.now();
  const inflight: Array<Promise<number>> = [];
  for (let i = 0; i < events; i++) {
    const due = start + i * interval;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    inflight.push(post(target, `/api/producer/crawl-progress/${PROGRESS_ID}/progress`, {
      status: 'crawling', percentage: (from + i) % 100, log: `t${performance.timeOrigin + performance.now()}`,
    }));
  }
  const statuses = await Promise.all(inflight);
  const failed = statuses.filter((status) => status >= 300).length;
  if (failed > 0) throw new Error(`${failed} producer posts failed`);
}

async function measureLayout(name: string, servers: readonly ServerProcess[], config: ClusterBenchConfig): Promise<LayoutResult> {
  if ((await post(servers[0]!.url, '/api/producer/crawl-progress', { progressId: PROGRESS_ID })) >= 300) throw new Error('could not create the bench crawl');
  const latencies: number[] = [];
  const { sockets, received } = await joinClients(servers, config.clients, latencies);
  try {
    // Warm-up (JIT, connection pools), not counted.
    const warm = Math.max(10, Math.floor(config.events / 10));
    await produce(servers[0]!.url, warm, config.ratePerSec, 0);
    await until(() => received() >= warm * config.clients, `${name}: warm-up delivered`);
    latencies.length = 0;
    const before = received();
    const cpuBefore = await Promise.all(servers.map((s) => s.cpuUs()));
    await produce(servers[0]!.url, config.events, config.ratePerSec, warm);
    const expected = config.events * config.clients;
    await until(() => received() - before >= expected, `${name}: every event delivered`).catch(() => undefined);
    const cpuAfter = await Promise.all(servers.map((s) => s.cpuUs()));
    const cpu = cpuAfter.reduce((sum, v, i) => sum + v - cpuBefore[i]!, 0);
    const delivered = received() - before;
    const sorted = Float64Array.from(latencies).sort();
    return { layout: name, deliveries: delivered, cpuUsPerDelivery: cpu / delivered, p50Ms: percentile(sorted, 0.5), p99Ms: percentile(sorted, 0.99), lost: expected - delivered };
  } finally {
    for (const socket of sockets) socket.disconnect();
  }
}

/** Legacy clients (notices on) on `server`; resolves with the time from `since` to the last one's stage notice. */
async function rollbackReach(admin: ServerProcess, watched: ServerProcess, count: number, rounds: number, log: (line: string) => void): Promise<number[]> {
  const sockets: WebSocket[] = [];
  const notices: number[] = [];
  for (let i = 0; i < count; i++) {
    const ws = new WebSocket(`ws://127.0.0.1:${watched.port}/api/crawl-progress/${PROGRESS_ID}?switchyard_notify=1`);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('a legacy bench client did not connect')), WAIT_MS);
      ws.once('open', () => { clearTimeout(timer); resolve(); });
      ws.once('error', (error) => { clearTimeout(timer); reject(error); });
    });
    ws.on('message', (data) => {
      if (String(data).includes('"switchyard_stage"')) notices[i] = performance.now();
    });
    sockets.push(ws);
  }
  const times: number[] = [];
  try {
    for (let round = 0; round <= rounds; round++) {
      notices.length = 0;
      const stage = round % 2 === 0 ? 'legacy' : 'socketio';
      const started = performance.now();
      const status = await post(admin.url, '/api/admin/stages/crawl-progress', { stage }, { authorization: `Bearer ${ADMIN_TOKEN}` }, 'PUT');
      if (status !== 200) throw new Error(`override PUT answered ${status}`);
      await until(() => notices.filter((t) => t !== undefined).length === count, 'every legacy client of the other node got the notice');
      const last = Math.max(...notices) - started;
      // Round 0 is the warm-up.
      if (round > 0) times.push(last);
      log(`  rollback reach, round ${round}${round === 0 ? ' (warm-up)' : ''}: ${last.toFixed(1)} ms to the last of ${count} clients`);
    }
  } finally {
    for (const ws of sockets) ws.terminate();
  }
  return times;
}

export async function benchCluster(config: ClusterBenchConfig): Promise<ClusterBenchResult> {
  const started = Date.now();
  const { log, ...shown } = config;
  const result: ClusterBenchResult = { status: 'ok', config: shown, layouts: [], durationMs: 0 };
  const redisUrl = SHARED_REDIS_URL;
  if (!(await redisAnswers(redisUrl))) {
    return { ...result, status: 'skipped', error: `Redis not reachable at ${redisUrl}`, durationMs: Date.now() - started };
  }
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-bench-cluster-'));
  const prefixes: string[] = [];
  const running: ServerProcess[] = [];
  const flags = join(dir, 'flags.json');
  const cluster = async (nodes: number): Promise<ServerProcess[]> => {
    const prefix = `sybench-${randomBytes(5).toString('hex')}`;
    prefixes.push(prefix);
    const servers: ServerProcess[] = [];
    for (let i = 1; i <= nodes; i++) {
      const args = ['--redis-url', redisUrl, '--redis-prefix', prefix, '--node-id', `bench${i}`,
        '--state-file', join(dir, `${prefix}-${i}.json`), '--flags-file', flags];
      const server = await ServerProcess.start(args);
      running.push(server);
      servers.push(server);
    }
    return servers;
  };
  const stopAll = async (): Promise<void> => {
    await Promise.all(running.splice(0).map((server) => server.stop()));
  };
  try {
    // Socket.IO serves the room in every layout; the rollback moves it to legacy and back.
    await writeFile(flags, JSON.stringify({ 'crawl-progress': 'socketio' }));
    const layouts: Array<[string, () => Promise<ServerProcess[]>]> = [
      ['embedded (1 node, no Redis)', async () => {
        const server = await ServerProcess.start(['--state-file', join(dir, 'embedded.json'), '--flags-file', flags]);
        running.push(server);
        return [server];
      }],
      ['cluster, 1 node + Redis', () => cluster(1)],
      ['cluster, 2 nodes (subscribers split)', () => cluster(2)],
    ];
    for (const [name, start] of layouts) {
      log(`  ${name}: ${config.clients} Socket.IO clients, ${config.events} events at ${config.ratePerSec}/s`);
      const servers = await start();
      try {
        const layout = await measureLayout(name, servers, config);
        result.layouts.push(layout);
        log(`    ${layout.cpuUsPerDelivery.toFixed(1)} µs CPU/delivery, p50 ${layout.p50Ms.toFixed(1)} ms, p99 ${layout.p99Ms.toFixed(1)} ms${layout.lost > 0 ? `, ${layout.lost} NOT DELIVERED` : ''}`);
      } finally {
        await stopAll();
      }
    }
    const [admin, watched] = await cluster(2);
    if ((await post(admin!.url, '/api/producer/crawl-progress', { progressId: PROGRESS_ID })) >= 300) throw new Error('could not create the bench crawl');
    const roundsMs = await rollbackReach(admin!, watched!, config.rollbackClients, config.rollbackRounds, log);
    result.rollback = { clients: config.rollbackClients, roundsMs, medianMs: median(roundsMs) };
  } catch (error) {
    result.status = 'aborted';
    result.error = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    log(`  ABORTED: ${result.error}`);
  } finally {
    await stopAll();
    for (const prefix of prefixes) await deleteKeys(redisUrl, prefix);
    await rm(dir, { recursive: true, force: true });
  }
  result.durationMs = Date.now() - started;
  await writeClusterResults(result);
  return result;
}

/** The Markdown table meant for the README, and the raw JSON. */
export async function writeClusterResults(result: ClusterBenchResult): Promise<void> {
  const embedded = result.layouts[0];
  const lines = [
    `Cluster vs embedded (${new Date().toISOString().slice(0, 10)}, Node ${process.version}; ${result.config.clients} Socket.IO clients on one crawl room, ${result.config.events} producer posts at ${result.config.ratePerSec}/s)`,
    '',
    '| Layout | Server CPU per delivery | × embedded | Latency p50 | p99 | Not delivered |',
    '|---|---|---|---|---|---|',
    ...result.layouts.map((l) => `| ${l.layout} | ${l.cpuUsPerDelivery.toFixed(1)} µs | ${embedded ? (l.cpuUsPerDelivery / embedded.cpuUsPerDelivery).toFixed(2) : 'n/a'} | ${l.p50Ms.toFixed(1)} ms | ${l.p99Ms.toFixed(1)} ms | ${l.lost} |`),
    '',
    result.rollback
      ? `Rollback reach: an override PUT on node 1 reached the last of ${result.rollback.clients} legacy clients on node 2 in ${result.rollback.medianMs.toFixed(1)} ms (median of ${result.rollback.roundsMs.length}: ${result.rollback.roundsMs.map((t) => t.toFixed(1)).join(', ')} ms).`
      : `Rollback reach: not measured${result.error ? ` (${result.error})` : ''}.`,
    '',
    `Method: each layout a fresh set of CLI processes (tsx) on loopback; ${result.config.clients} Socket.IO (websocket) clients in the bench process, split round-robin over the layout's nodes; a warm-up of ${Math.max(10, Math.floor(result.config.events / 10))} posts, then ${result.config.events} posts to node 1 at ${result.config.ratePerSec}/s, each carrying its send time. Latency = receive − send time (the producer's HTTP call included). CPU = user + system time of the layout's Switchyard processes during the measured posts (/proc, 10 ms ticks) ÷ deliveries; it includes the producer endpoint's work spread over the room's ${result.config.clients} subscribers, and not Redis's own CPU (a shared server). One run per layout, not a median: the machine is shared, so the ratios mean more than the absolute numbers.`,
    ...(result.status !== 'ok' ? ['', `Status: ${result.status}${result.error ? ` (${result.error})` : ''}.`] : []),
  ];
  await writeFile(`${RESULTS_DIR}cluster.json`, `${JSON.stringify(result, null, 2)}\n`);
  await writeFile(`${RESULTS_DIR}cluster.md`, `${lines.join('\n')}\n`);
}
