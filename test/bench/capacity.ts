/**
 * Capacity: how one Switchyard process carries BENCH_CAPACITY_CONNECTIONS
 * (20,000) idle connections, half legacy (raw `ws` on
 * `/api/crawl-progress/:id`, one room each, `{"type":"ping"}` every 30 s) and
 * half Socket.IO (`/crawl`, engine.io pings every 25 s), with keepalives
 * running, and what they cost:
 * - RSS and heap per connection: (after − before) ÷ connections, both after
 *   forced GCs, in the server process;
 * - `/health` latency p50/p99: BENCH_CAPACITY_HEALTH_RPS requests per second
 *   from this process during a BENCH_CAPACITY_HOLD_MS (40 s) hold with every
 *   connection open;
 * - event-loop delay p50/p99/max of the server over the same hold
 *   (perf_hooks monitorEventLoopDelay in the server process, over IPC).
 *
 * Layout: the server is the build (dist/, as `npm start` runs it) in its own
 * process (capacity-server.ts), per-address connection limit 0; the clients
 * are spread over BENCH_CAPACITY_CLIENT_PROCS (4) processes
 * (capacity-client.ts), each connection bound to one of 8 loopback source
 * addresses (127.0.0.2-127.0.0.9) in turn, so no address runs short of
 * ephemeral ports.
 *
 * Open files: every connection is one descriptor in the server. The count is
 * capped at the server's open-file limit (`ulimit -n`, read from
 * /proc/self/limits) minus 100 for its own files, pipes and listener;
 * children inherit this process's limit (raise it with `ulimit -n` before
 * `npm run bench` where the hard limit allows; the bench does not need
 * privileges). Bounded: connections by count, each phase by its deadline, the
 * opening by 240 s, the whole run by BENCH_CAPACITY_TIMEOUT_MS (420 s).
 *
 * Run alone: `npx tsx test/bench/capacity.ts` (part of `npm run bench`; BENCH_ONLY=capacity).
 * Writes test/bench/results/capacity.json and capacity.md.
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Child, sleep } from './ipc.js';
import type { CapacityClientApi, CapacityOpenResult, CapacityServerApi, CapacityServerStats } from './capacity-protocol.js';
import { writeJsonAndMarkdown } from './report-files.js';
import { fmt } from './report.js';
import { Deadline, Scope } from './scope.js';
import { ensureBuild } from './startup.js';
import { percentile } from './stats.js';
import { intEnv } from './env.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const ADDRESSES = Array.from({ length: 8 }, (_, i) => `127.0.0.${i + 2}`);
const FD_RESERVE = 100;


/** The soft open-file limit of this process (children inherit it). */
export function openFileLimit(): { soft: number; hard: number } {
  const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
  const [soft, hard] = (line ?? '').split(/\s{2,}/).slice(1, 3).map((v) => (v === 'unlimited' ? Number.POSITIVE_INFINITY : Number(v)));
  return { soft: soft ?? Number.NaN, hard: hard ?? Number.NaN };
}

export interface CapacityResult {
  date: string;
  node: string;
  requested: number;
  target: number;
  openFiles: { soft: number; hard: number };
  clientProcesses: number;
  addresses: string[];
  open: CapacityOpenResult[];
  opened: number;
  failed: number;
  openSeconds: number;
  holdSeconds: number;
  before: CapacityServerStats;
  held: CapacityServerStats;
  after: CapacityServerStats;
  rssKbPerConnection: number;
  heapKbPerConnection: number;
  health: { requests: number; failed: number; p50: number; p99: number; max: number };
  clients: { open: number; dropped: number; legacyPingsSent: number; socketIoPongs: number };
  /** The machine's 1-minute load average at the start and the end (2 cores shared with other work). */
  load: { start: number; end: number };
}

async function healthLoad(url: string, rps: number, holdMs: number): Promise<{ latencies: number[]; failed: number }> {
  const latencies: number[] = [];
  let failed = 0;
  const end = Date.now() + holdMs;
  const inflight = new Set<Promise<void>>();
  // Paced by count: one request every 1000/rps ms until the hold ends, never more than 50 outstanding.
  for (let i = 0; Date.now() < end; i++) {
    const due = i * (1000 / rps);
    const wait = due - (holdMs - (end - Date.now()));
    if (wait > 0) await sleep(wait);
    if (inflight.size >= 50) {
      failed++;
      continue;
    }
    const t0 = performance.now();
    const request: Promise<void> = fetch(url, { signal: AbortSignal.timeout(10_000) })
      .then(async (response) => {
        await response.arrayBuffer();
        if (response.ok) latencies.push(performance.now() - t0);
        else failed++;
      })
      .catch(() => {
        failed++;
      })
      .finally(() => inflight.delete(request));
    inflight.add(request);
  }
  await Promise.all(inflight);
  return { latencies, failed };
}

export async function benchCapacity(options: { log: (m: string) => void; resultsDir: string }): Promise<CapacityResult> {
  const { log } = options;
  const requested = intEnv('BENCH_CAPACITY_CONNECTIONS', 20_000);
  const procs = intEnv('BENCH_CAPACITY_CLIENT_PROCS', 4);
  const holdMs = intEnv('BENCH_CAPACITY_HOLD_MS', 40_000);
  const rps = intEnv('BENCH_CAPACITY_HEALTH_RPS', 20);
  const d = new Deadline(intEnv('BENCH_CAPACITY_TIMEOUT_MS', 420_000), 'capacity');
  const loadStart = loadavg()[0]!;
  const openFiles = openFileLimit();
  const target = Math.min(requested, openFiles.soft - FD_RESERVE);
  if (target < requested) log(`  open-file limit ${openFiles.soft} (hard ${openFiles.hard}): ${fmt(target, 0)} connections instead of ${fmt(requested, 0)}`);
  await ensureBuild(log);

  const scope = new Scope();
  try {
    const server = scope.track(Child.start<CapacityServerApi>('capacity-server', join(HERE, 'capacity-server.ts')));
    const { port } = await server.call('start', { connectionsPerAddress: 0 }, d.left(30_000));
    const clients = Array.from({ length: procs }, (_, i) => scope.track(Child.start<CapacityClientApi>(`capacity-clients[${i}]`, join(HERE, 'capacity-client.ts'))));
    const before = await server.call('stats', { gc: true }, d.left(20_000));
    log(`  server on port ${port}: RSS ${fmt(before.rss / 1e6, 1)} MB, ${before.fds} open files before connections`);

    const t0 = Date.now();
    const share = (i: number): number => Math.floor(target / procs) + (i < target % procs ? 1 : 0);
    const open = await Promise.all(
      clients.map((client, i) => {
        const n = share(i);
        return client.call('open', { port, legacy: Math.ceil(n / 2), socketIo: Math.floor(n / 2), addresses: ADDRESSES, inFlight: 48, timeoutMs: Math.min(240_000, d.left() - 90_000), label: String(i) }, d.left());
      }),
    );
    const openSeconds = (Date.now() - t0) / 1000;
    const opened = open.reduce((n, r) => n + r.opened, 0);
    const failed = open.reduce((n, r) => n + r.failed, 0);
    log(`  ${fmt(opened, 0)} connections open in ${fmt(openSeconds, 1)} s (${failed} failed${failed ? `: ${open.flatMap((r) => r.errors).slice(0, 3).join('; ')}` : ''})`);

    await sleep(2000);
    await server.call('resetLoop', undefined, d.left(10_000));
    log(`  holding for ${fmt(holdMs / 1000, 0)} s with /health at ${rps}/s`);
    const health = await healthLoad(`http://127.0.0.1:${port}/health`, rps, Math.min(holdMs, d.left() - 30_000));
    const held = await server.call('stats', { gc: false }, d.left(20_000));
    const after = await server.call('stats', { gc: true }, d.left(20_000));
    const statuses = await Promise.all(clients.map((c) => c.call('status', undefined, d.left(10_000))));
    const sorted = Float64Array.from(health.latencies).sort();
    const result: CapacityResult = {
      date: new Date().toISOString(),
      node: process.version,
      requested,
      target,
      openFiles,
      clientProcesses: procs,
      addresses: ADDRESSES,
      open,
      opened,
      failed,
      openSeconds,
      holdSeconds: holdMs / 1000,
      before,
      held,
      after,
      rssKbPerConnection: (after.rss - before.rss) / 1024 / Math.max(1, opened),
      heapKbPerConnection: (after.heapUsed - before.heapUsed) / 1024 / Math.max(1, opened),
      health: { requests: health.latencies.length + health.failed, failed: health.failed, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), max: sorted[sorted.length - 1] ?? Number.NaN },
      load: { start: loadStart, end: loadavg()[0]! },
      clients: statuses.reduce((a, s) => ({ open: a.open + s.open, dropped: a.dropped + s.dropped, legacyPingsSent: a.legacyPingsSent + s.legacyPingsSent, socketIoPongs: a.socketIoPongs + s.socketIoPongs }), { open: 0, dropped: 0, legacyPingsSent: 0, socketIoPongs: 0 }),
    };
    await Promise.all(clients.map((c) => c.call('closeAll', undefined, d.left(30_000))));
    await writeJsonAndMarkdown(options.resultsDir, 'capacity', result, capacityMarkdown(result));
    log(capacityMarkdown(result));
    return result;
  } finally {
    await scope.closeAll(true);
  }
}

export function capacityMarkdown(r: CapacityResult): string {
  const mb = (b: number): string => fmt(b / 1e6, 1);
  return [
    `### Capacity: ${fmt(r.opened, 0)} idle connections on one node`,
    '',
    `Measured ${r.date}, Node ${r.node}. One Switchyard process (the build, all seven services, \`connectionsPerAddress: 0\`), ${fmt(r.opened, 0)} connections (half legacy raw \`ws\` on \`/api/crawl-progress/:id\` sending \`{"type":"ping"}\` every 30 s, half Socket.IO on \`/crawl\` with engine.io's 25 s pings) from ${r.clientProcesses} client processes over ${r.addresses.length} loopback source addresses; held ${fmt(r.holdSeconds, 0)} s. Open-file limit ${r.openFiles.soft} (hard ${r.openFiles.hard}); requested ${fmt(r.requested, 0)}, capped at ${fmt(r.target, 0)}. Command: \`npm run bench\` (or \`BENCH_ONLY=capacity\`).`,
    '',
    '| Metric | Value |',
    '| --- | ---: |',
    `| Connections open (legacy / Socket.IO, server side) | ${fmt(r.held.legacy, 0)} / ${fmt(r.held.socketIo, 0)} |`,
    `| Failed to open / dropped during the hold | ${r.failed} / ${r.clients.dropped} |`,
    `| Time to open them all | ${fmt(r.openSeconds, 1)} s |`,
    `| Server RSS before → with connections (after GC) | ${mb(r.before.rss)} → ${mb(r.after.rss)} MB |`,
    `| RSS per connection | ${fmt(r.rssKbPerConnection, 1)} KB |`,
    `| Heap per connection | ${fmt(r.heapKbPerConnection, 1)} KB |`,
    `| Server open files | ${fmt(r.held.fds, 0)} |`,
    `| \`/health\` latency p50 / p99 / max (${fmt(r.health.requests, 0)} requests, ${r.health.failed} failed) | ${fmt(r.health.p50, 2)} / ${fmt(r.health.p99, 2)} / ${fmt(r.health.max, 2)} ms |`,
    `| Event-loop delay p50 / p99 / max over the hold | ${fmt(r.held.loop.p50, 1)} / ${fmt(r.held.loop.p99, 1)} / ${fmt(r.held.loop.max, 1)} ms |`,
    `| Machine load average (1 min), start / end, ${cpus().length} cores | ${fmt(r.load.start, 1)} / ${fmt(r.load.end, 1)} |`,
    `| Keepalives since open: legacy pings sent / engine.io pings answered | ${fmt(r.clients.legacyPingsSent, 0)} / ${fmt(r.clients.socketIoPongs, 0)} |`,
    '',
  ].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchCapacity({ log: (m) => console.log(m), resultsDir: join(HERE, 'results') });
}
