/**
 * Bench scenario "producer": events published over HTTP, the way a crawler
 * publishes them, fanned out to legacy clients. Switchyard's REST producer
 * API (`POST /api/producer/crawl-progress/:id/progress`, Koa, validation,
 * the crawl tracker, history) and its batch endpoint
 * (`POST /api/producer/crawl-progress/batch`) against a plain `node:http`
 * server that parses the body, merges it into the crawl's state and
 * broadcasts it with plain `ws` (targets.ts), with the same paths.
 *
 * The load comes from this (orchestrator) process: `concurrency` requests in
 * flight on keep-alive connections, bounded by count. A round is done when
 * every client received every event.
 */
import { Agent, request } from 'node:http';
import type { Child } from './ipc.js';
import { now } from './ipc.js';
import { DISTURBED_PCT, QUIET_BUDGET_MS, foreignCpuPct, machineCpu, waitForQuiet } from './machine.js';
import { FANOUT_PROGRESS_ID, type ClientApi, type DeliveryStats, type ServerApi, type Target } from './protocol.js';
import { fmt, metricRow, type SectionResult } from './report.js';
import type { Deadline, Scope } from './scope.js';
import { median } from './stats.js';
import { intEnv } from './env.js';


const P = {
  clients: intEnv('BENCH_PRODUCER_CLIENTS', 100),
  events: intEnv('BENCH_PRODUCER_EVENTS', 2000),
  concurrency: intEnv('BENCH_PRODUCER_CONCURRENCY', 16),
  batch: intEnv('BENCH_PRODUCER_BATCH', 10),
  reps: intEnv('BENCH_REPS', 3),
};

export function producerDescription(): string[] {
  return [
    `**Producer**: ${fmt(P.events, 0)} crawl-progress updates sent over HTTP from the bench process (${P.concurrency} requests in flight, keep-alive), each fanned out to ${P.clients} legacy clients; "single" = one \`POST /api/producer/crawl-progress/:id/progress\` per update, "batch" = \`POST /api/producer/crawl-progress/batch\` with ${P.batch} updates per request. Baseline: a plain \`node:http\` server with the same paths that \`JSON.parse\`s the body, merges it into the crawl's state (the same fields as Switchyard's tracker) and broadcasts it with plain \`ws\`. Events/s = updates ÷ (first request sent → last client received the last event); latency = request sent → frame received.`,
  ];
}

export interface ProducerDeps {
  startServer(target: Target, d: Deadline, scope: Scope): Promise<{ target: Target; child: Child<ServerApi>; url: string }>;
  startClients(scope: Scope): Child<ClientApi>;
  log(message: string): void;
  connectTimeoutMs: number;
}

interface Answer {
  status: number;
  body: string;
}

function post(agent: Agent, base: string, path: string, body: unknown): Promise<Answer> {
  const data = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': data.length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(data);
  });
}

const update = (run: number, i: number, events: number): Record<string, unknown> => ({
  status: 'crawling',
  percentage: Math.floor((i * 100) / events),
  processedPages: i,
  bench: { r: run, i, t: now() },
});

type Mode = 'single' | 'batch';

/** Send `events` updates as `mode`, `concurrency` requests in flight; every answer must be 2xx. */
async function load(agent: Agent, base: string, mode: Mode, run: number, events: number, d: Deadline): Promise<void> {
  const perRequest = mode === 'batch' ? P.batch : 1;
  const requests = Math.ceil(events / perRequest);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < requests && !d.expired) {
      const r = next++;
      const first = r * perRequest;
      const last = Math.min(events, first + perRequest);
      const answer = mode === 'batch'
        ? await post(agent, base, '/api/producer/crawl-progress/batch', {
          updates: Array.from({ length: last - first }, (_, k) => ({ progressId: FANOUT_PROGRESS_ID, ...update(run, first + k, events) })),
        })
        : await post(agent, base, `/api/producer/crawl-progress/${FANOUT_PROGRESS_ID}/progress`, update(run, first, events));
      if (answer.status >= 300) throw new Error(`producer ${mode}: HTTP ${answer.status} ${answer.body.slice(0, 200)}`);
    }
  };
  await Promise.all(Array.from({ length: P.concurrency }, () => worker()));
}

interface ProducerSample {
  eventsPerSec: number;
  p50: number;
  p99: number;
  cpuUsPerEvent: number;
  foreignCpuPct: number;
}

let runCounter = 100_000;

async function round(server: { child: Child<ServerApi>; url: string; target: Target }, clients: Child<ClientApi>, agent: Agent, mode: Mode, events: number, d: Deadline): Promise<ProducerSample> {
  const run = ++runCounter;
  await clients.call('arm', { group: server.target, run, events }, d.left(5000));
  const machine0 = machineCpu();
  const own0 = process.cpuUsage();
  const cpu0 = await server.child.call('cpu', undefined, d.left(5000));
  const start = now();
  const [, stats] = await Promise.all([
    load(agent, server.url, mode, run, events, d),
    clients.call('wait', { group: server.target, timeoutMs: Math.max(1, d.left() - 1500) }, d.left()),
  ]);
  const cpu1 = await server.child.call('cpu', undefined, d.left(5000));
  const machine1 = machineCpu();
  const own = process.cpuUsage(own0);
  requireComplete(stats, `${server.target} producer ${mode}`);
  return {
    eventsPerSec: events / ((stats.lastRecv - start) / 1000),
    p50: stats.latency.p50,
    p99: stats.latency.p99,
    cpuUsPerEvent: (cpu1.micros - cpu0.micros) / events,
    // The load generator (this process) is part of the bench, not "other processes"; it is counted with the clients.
    foreignCpuPct: foreignCpuPct(machine0, machine1, (cpu1.micros - cpu0.micros) / 1000 + stats.clientCpuMs + (own.user + own.system) / 1000),
  };
}

function requireComplete(stats: DeliveryStats, what: string): void {
  if (stats.complete) return;
  throw new Error(`${what}: ${stats.received}/${stats.expected} deliveries (per client ${stats.perClientMin}..${stats.perClientMax})`);
}

export async function producer(deps: ProducerDeps, d: Deadline, scope: Scope, section: SectionResult): Promise<void> {
  const targets: Target[] = ['switchyard', 'ws'];
  const servers = new Map<Target, Awaited<ReturnType<ProducerDeps['startServer']>>>();
  const agents = new Map<Target, Agent>();
  for (const target of targets) {
    const server = await deps.startServer(target, d, scope);
    servers.set(target, server);
    const agent = new Agent({ keepAlive: true, maxSockets: P.concurrency });
    agents.set(target, agent);
    const started = await post(agent, server.url, '/api/producer/crawl-progress', { progressId: FANOUT_PROGRESS_ID });
    if (started.status >= 300) throw new Error(`${target}: crawl start answered ${started.status}`);
  }
  const clients = deps.startClients(scope);
  for (const [target, server] of servers) {
    const { connected, ms } = await clients.call(
      'connect',
      { group: target, kind: 'legacy', url: server.url, count: P.clients, progressId: FANOUT_PROGRESS_ID, distinctRooms: false, timeoutMs: deps.connectTimeoutMs },
      d.left(),
    );
    deps.log(`  ${target}: ${connected} legacy clients connected in ${fmt(ms, 0)} ms`);
  }
  const samples = new Map<string, ProducerSample[]>();
  const quietBudget = { ms: QUIET_BUDGET_MS };
  try {
    for (let r = 0; r <= P.reps; r++) {
      const warm = r === 0;
      for (const target of r % 2 === 0 ? targets : [...targets].reverse()) {
        for (const mode of ['single', 'batch'] as const) {
          if (!warm) await waitForQuiet(d, quietBudget, deps.log);
          const sample = await round(servers.get(target)!, clients, agents.get(target)!, mode, warm ? Math.ceil(P.events / 2) : P.events, d);
          if (!warm) {
            const key = `${target}|${mode}`;
            samples.set(key, [...(samples.get(key) ?? []), sample]);
          }
          deps.log(
            `  ${warm ? 'warm-up' : `round ${r}`} ${target.padEnd(10)} ${mode.padEnd(6)} ${fmt(sample.eventsPerSec, 0)} ev/s, latency p50/p99 ${fmt(sample.p50, 1)}/${fmt(sample.p99, 1)} ms, ` +
              `server CPU/event ${fmt(sample.cpuUsPerEvent, 1)} µs, other processes ${fmt(sample.foreignCpuPct, 0)}% of the machine`,
          );
        }
      }
    }
  } finally {
    producerRows(section, samples);
    for (const agent of agents.values()) agent.destroy();
  }
  for (const target of targets) await clients.call('disconnect', { group: target, timeoutMs: 5000 }, d.left(8000));
  await scope.closeAll(true);
}

function producerRows(section: SectionResult, samples: Map<string, ProducerSample[]>): void {
  const pick = (target: Target, mode: Mode, key: keyof ProducerSample): number[] => (samples.get(`${target}|${mode}`) ?? []).map((s) => s[key]);
  for (const mode of ['single', 'batch'] as const) {
    if (pick('switchyard', mode, 'eventsPerSec').length === 0 || pick('ws', mode, 'eventsPerSec').length === 0) continue;
    const label = mode === 'single' ? 'one update per request' : `batches of ${P.batch}`;
    section.rows.push(
      metricRow(`Events/s over HTTP, ${label}, to ${P.clients} clients`, 'events/s', 'higher', 0, pick('switchyard', mode, 'eventsPerSec'), pick('ws', mode, 'eventsPerSec')),
      metricRow(`Latency p99, request → frame, ${label}`, 'ms', 'lower', 1, pick('switchyard', mode, 'p99'), pick('ws', mode, 'p99')),
      metricRow(`Server CPU per event, ${label}`, 'µs', 'lower', 1, pick('switchyard', mode, 'cpuUsPerEvent'), pick('ws', mode, 'cpuUsPerEvent')),
    );
  }
  const all = [...samples.values()].flat();
  const foreign = all.length > 0 ? median(all.map((s) => s.foreignCpuPct)) : 0;
  if (foreign > DISTURBED_PCT) section.notes.push(`other processes on the machine used ~${fmt(foreign, 0)}% of its CPU during the producer rounds (median): wall-clock figures are noisy; CPU per event is the steadier comparison.`);
  section.notes.push('the baseline validates nothing and keeps no history; Switchyard runs the producer API as shipped (Koa, JSON body checks, zod validation, crawl tracker with its limits, room history) with the producer rate limit off.');
}
