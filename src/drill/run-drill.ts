/**
 * The drill: synthetic clients on each chosen service (half unmodified legacy
 * clients, half SDK clients), steady producer traffic, and each service moved
 * through cut-over and rollback `rounds` times, one change at a time; then
 * every client's deliveries are checked against what was published. The
 * services' stages are put back as they were at the end, whatever happens.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { AdminClient, type StagesAnswer } from '../operator/admin-client.js';
import { CliExit, EXIT } from '../operator/exit-codes.js';
import type { ServiceId } from '../registry/contracts.js';
import { addCounts, countDeliveries, emptyCounts, latencies, spread } from './analysis.js';
import { LegacyObserver, SdkObserver, type Observer } from './observers.js';
import { Producer } from './producer.js';
import type { Progress } from './progress.js';
import type { ChatResult, DrillResult, ServiceResult, StepResult } from './result.js';
import { scenarioFor, type Scenario } from './scenarios.js';
import { OverrideDriver, UnleashDriver, unleashSettings, type StageDriver } from './stage-drivers.js';

export interface DrillOptions {
  url: string;
  services: readonly ServiceId[];
  clients: number;
  rounds: number;
  via: 'override' | 'unleash';
  timeoutMs: number;
  yes: boolean;
  /** Producer events per second per service. */
  rate: number;
  /** Longest wait for every client to switch after one change. */
  stepTimeoutMs: number;
  version: string;
  env: NodeJS.ProcessEnv;
  progress: Progress;
  /** Aborted by Ctrl-C: the drill stops, restores and reports. */
  interrupt: AbortSignal;
}

interface ServiceRun {
  scenario: Scenario;
  before: StagesAnswer['services'][number];
  baseStage: string;
  producer: Producer;
  legacy: LegacyObserver[];
  sdk: SdkObserver[];
  steps: StepResult[];
  chat: Array<Promise<{ id: string; duplicate: boolean } | undefined>>;
  chatIds: string[];
  errors: string[];
  restored: boolean;
}

const LEGACY_SEQUENCE_CHECK = 'content: each event the drill publishes carries its number (m<n>) in a field the legacy frame shows; unmodified legacy clients send no switchyard_seq';

/** Wait until `done()` or the signal, polling on a short tick (clients' progress has no single event to wait on). */
async function waitFor(done: () => boolean, signal: AbortSignal, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (signal.aborted || performance.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return true;
}

/** Run `fn` over `items`, at most `limit` at a time (bounded connection bursts). */
async function inBatches<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += limit) await Promise.all(items.slice(i, i + limit).map(fn));
}

export async function runDrill(options: DrillOptions): Promise<DrillResult> {
  const { progress } = options;
  const origin = performance.now();
  const now = (): number => performance.now() - origin;
  const startedAt = new Date();
  const admin = new AdminClient(options.url, options.env.SWITCHYARD_ADMIN_TOKEN);
  const producerToken = options.env.SWITCHYARD_PRODUCER_TOKEN || undefined;
  const clientToken = options.env.SWITCHYARD_DRILL_CLIENT_TOKEN || undefined;
  const before = await admin.stages();

  for (const service of options.services) {
    if (!before.services.some((s) => s.service === service)) throw new CliExit(EXIT.USAGE, `${admin.base} does not serve "${service}"`);
  }
  const busy = before.services.filter((s) => options.services.includes(s.service as ServiceId) && s.connections.legacy + s.connections.socketio > 0);
  if (busy.length > 0 && !options.yes) {
    const list = busy.map((s) => `${s.service} (${s.connections.legacy} legacy, ${s.connections.socketio} Socket.IO)`).join(', ');
    throw new CliExit(EXIT.COULD_NOT_RUN, `refusing to drill: real clients are connected to ${list}; the drill would move them and publish drill events to shared rooms. Pass --yes to drill anyway, or choose other services.`);
  }

  let driver: StageDriver;
  if (options.via === 'unleash') {
    const unleash = new UnleashDriver(admin, unleashSettings(options.env), before);
    await unleash.prepare(before, options.services);
    driver = unleash;
  } else {
    driver = new OverrideDriver(admin, before);
  }

  const run = randomUUID();
  const runs: ServiceRun[] = options.services.map((service) => {
    const state = before.services.find((s) => s.service === service)!;
    const scenario = scenarioFor(service, run);
    return {
      scenario, before: state,
      // Rollback returns to where the service was, unless that is not a legacy stage.
      baseStage: state.stage === 'shadow' ? 'shadow' : 'legacy',
      producer: new Producer(admin.base, scenario.produce, now, producerToken),
      legacy: [], sdk: [], steps: [], chat: [], chatIds: [], errors: [], restored: false,
    };
  });

  const timeout = AbortSignal.timeout(options.timeoutMs);
  const stop = AbortSignal.any([timeout, options.interrupt]);
  let stoppedBy: string | null = null;
  const stopReason = (): string => (options.interrupt.aborted ? 'interrupted (Ctrl-C)' : `timeout (${options.timeoutMs} ms)`);
  const totalSteps = runs.length * options.rounds * 2;
  progress.start(totalSteps);
  const wsBase = admin.base.replace(/^http/, 'ws');
  const legacyCount = Math.floor(options.clients / 2);
  const sdkCount = options.clients - legacyCount;
  const touched = new Set<ServiceRun>();

  try {
    // Every service starts from its base stage, with no drill client yet: nobody moves.
    for (const r of runs) {
      if (options.via === 'unleash' && r.before.stage !== 'legacy') throw new CliExit(EXIT.COULD_NOT_RUN, `--via unleash: ${r.scenario.service} is on ${r.before.stage}; turn its flag off (legacy) before a drill`);
      touched.add(r);
      if (options.via === 'override' && r.before.stage !== r.baseStage) await driver.set(r.scenario.service, r.baseStage);
      if (r.scenario.setup) await Producer.send(admin.base, r.scenario.setup, producerToken);
    }
    progress.note(`connecting ${options.clients} clients on each of ${runs.length} services`);
    for (const r of runs) {
      const legacy = Array.from({ length: legacyCount }, (_, i) => new LegacyObserver(`legacy-${r.scenario.service}-${i + 1}`, r.scenario, now));
      await inBatches(legacy, 50, (o) => o.open(wsBase, clientToken, 10_000));
      r.legacy.push(...legacy);
      for (let i = 0; i < sdkCount; i++) r.sdk.push(new SdkObserver(`drill-sdk-${r.scenario.service}-${run.slice(0, 8)}-${i + 1}`, r.scenario, admin.base, clientToken, now));
      await inBatches(r.sdk, 50, async (o) => {
        await o.client.whenConnected(10_000);
      });
    }
    // Steady traffic, and every client receiving it, before the first change.
    for (const r of runs) r.producer.start(1000 / options.rate);
    for (const r of runs) await caughtUp(r, 3, stop, options.stepTimeoutMs);

    for (let round = 1; round <= options.rounds && !stop.aborted; round++) {
      for (const r of runs) {
        for (const action of ['cutover', 'rollback'] as const) {
          if (stop.aborted) break;
          const step = await runStep(r, round, action);
          progress.step(`${r.scenario.service} ${action} r${round}: ${step.sdkSwitch.switched}/${step.sdkSwitch.clients} SDK clients switched, max ${step.sdkSwitch.maxMs ?? '-'} ms${step.errors.length ? `, ${step.errors.length} error(s)` : ''}`);
        }
      }
    }
    if (stop.aborted) stoppedBy = stopReason();
  } catch (error) {
    if (error instanceof CliExit && error.exitCode === EXIT.COULD_NOT_RUN && touched.size === 0) throw error;
    stoppedBy = error instanceof Error ? error.message : String(error);
  } finally {
    for (const r of runs) await r.producer.stop();
    // Let what was published reach every client (bounded), then restore and close.
    const drain = AbortSignal.timeout(5000);
    for (const r of runs) await caughtUp(r, 0, drain, 5000);
    for (const r of runs) {
      const sent = await Promise.race([Promise.allSettled(r.chat), new Promise((resolve) => setTimeout(resolve, 5000))]);
      if (sent === undefined) r.errors.push('chat sends still unacknowledged after 5 s');
    }
    progress.note('restoring stages');
    for (const r of touched) {
      try {
        await driver.restore(r.scenario.service);
        r.restored = true;
      } catch (error) {
        r.errors.push(`restore failed: ${(error as Error).message}`);
      }
    }
    for (const r of runs) for (const o of [...r.legacy, ...r.sdk]) o.close();
    progress.stop();
  }

  const services: ServiceResult[] = [];
  for (const r of runs) services.push(await serviceResult(r));
  return assemble(services, runs.flatMap((r) => r.steps).sort((a, b) => a.atMs - b.atMs), runs, stoppedBy);

  /** Wait until every client of the service has the head published `ahead` events from now. */
  async function caughtUp(r: ServiceRun, ahead: number, signal: AbortSignal, timeoutMs: number): Promise<boolean> {
    const target = r.producer.head + ahead;
    const observers: Observer[] = [...r.legacy, ...r.sdk];
    return waitFor(() => r.producer.head >= target && observers.every((o) => o.highest >= target), signal, timeoutMs);
  }

  async function runStep(r: ServiceRun, round: number, action: 'cutover' | 'rollback'): Promise<StepResult> {
    const service = r.scenario.service;
    const to = action === 'cutover' ? 'socketio' : r.baseStage;
    const target = action === 'cutover' ? 'socketio' : 'legacy';
    const errors: string[] = [];
    const t0 = now();
    const wall = Date.now();
    if (service === 'agent-chat') {
      // Chat sends cross the switch: each must be acknowledged and stored once, on whichever transport takes it.
      for (const o of r.sdk) {
        const text = `drill chat ${o.name} r${round} ${action}`;
        const chat = o.client as unknown as { sendMessage(message: string): Promise<{ id: string; duplicate: boolean }> };
        r.chat.push(chat.sendMessage(text).then((sent) => {
          r.chatIds.push(sent.id);
          return sent;
        }, (error: unknown) => {
          errors.push(`${o.name}: chat send failed: ${(error as Error).message}`);
          return undefined;
        }));
      }
    }
    await driver.set(service, to);
    const requestMs = now() - t0;
    const stepSignal = AbortSignal.any([stop, AbortSignal.timeout(options.stepTimeoutMs)]);
    const times = await Promise.all(r.sdk.map((o) => o.switchedTo(target, t0, stepSignal)));
    const switched = times.filter((t): t is number => t !== undefined);
    // A step cut short by Ctrl-C or the timeout says so; its clients did not fail to switch, the drill stopped waiting.
    const interrupted = stop.aborted;
    if (switched.length < r.sdk.length && !interrupted) errors.push(`${r.sdk.length - switched.length} of ${r.sdk.length} SDK clients not on ${target} within ${options.stepTimeoutMs} ms`);
    const after = await admin.stages();
    // `at` is the server's clock (epoch ms); a switch older than this step is another one's.
    const switchAt = after.lastSwitch ? (typeof after.lastSwitch.at === 'number' ? after.lastSwitch.at : Date.parse(after.lastSwitch.at)) : NaN;
    const server = after.lastSwitch && switchAt >= wall - 1000 ? after.lastSwitch : null;
    // Traffic flows on the new stage, and every client has it, before the next change.
    if (!(await caughtUp(r, 3, stop, options.stepTimeoutMs)) && !stop.aborted) errors.push(`clients did not catch up with the producer within ${options.stepTimeoutMs} ms`);
    const step: StepResult = {
      service, round, action, from: action === 'cutover' ? r.baseStage : 'socketio', to, atMs: Math.round(t0), requestMs: Math.round(requestMs * 10) / 10,
      sdkSwitch: { ...spread(switched), clients: r.sdk.length, switched: switched.length }, interrupted,
      server: server ? { durationMs: Math.round(server.durationMs * 100) / 100, legacySwitched: server.legacySwitched, socketIoDisconnected: server.socketIoDisconnected } : null,
      events: emptyCounts(), errors,
    };
    r.steps.push(step);
    return step;
  }

  async function serviceResult(r: ServiceRun): Promise<ServiceResult> {
    const observers: Observer[] = [...r.legacy, ...r.sdk];
    const starts = r.steps.map((s) => s.atMs);
    const sentAt = new Map(r.producer.published.map((p) => [p.n, p.at]));
    // Window 0: before the first change; window k: from step k's change to the next one.
    const windowOf = (n: number): number => {
      const at = sentAt.get(n);
      if (at === undefined) return 0;
      let w = 0;
      while (w < starts.length && starts[w]! <= at) w++;
      return w;
    };
    const counts = countDeliveries(r.producer.published, observers.map((o) => o.arrivals), starts.length + 1, windowOf);
    r.steps.forEach((step, i) => (step.events = counts[i + 1]!));
    const totals = counts.reduce((sum, c) => addCounts(sum, c), emptyCounts());
    const errors = [...r.errors, ...r.producer.errors, ...observers.flatMap((o) => o.errors)];
    return {
      service: r.scenario.service, stageBefore: r.before.stage, overrideBefore: r.before.override, baseStage: r.baseStage,
      clients: { legacy: r.legacy.length, sdk: r.sdk.length },
      baseline: counts[0]!, totals,
      latency: spread(latencies(r.producer.published, observers.map((o) => o.arrivals)).map((s) => s.ms)),
      chat: r.scenario.chatSession ? await chatResult(r) : null,
      restored: r.restored, errors, warnings: r.sdk.flatMap((o) => o.warnings),
    };
  }

  async function chatResult(r: ServiceRun): Promise<ChatResult> {
    const settled = await Promise.all(r.chat.map((p) => Promise.race([p, new Promise<undefined>((resolve) => setTimeout(resolve, 0, undefined))])));
    const acked = settled.filter((s): s is { id: string; duplicate: boolean } => s !== undefined);
    let messages: Array<{ id?: unknown }> = [];
    try {
      const res = await fetch(`${admin.base}/api/producer/agent-chat/sessions/${encodeURIComponent(r.scenario.chatSession!)}`, {
        headers: producerToken ? { authorization: `Bearer ${producerToken}` } : {}, signal: AbortSignal.timeout(10_000),
      });
      const body = (await res.json()) as { messages?: Array<{ id?: unknown }> };
      messages = body.messages ?? [];
    } catch (error) {
      r.errors.push(`chat session not readable: ${(error as Error).message}`);
    }
    const stored = new Map<string, number>();
    for (const m of messages) if (typeof m.id === 'string') stored.set(m.id, (stored.get(m.id) ?? 0) + 1);
    const historyFull = messages.length >= 500;
    const ids = acked.map((a) => a.id);
    return {
      sent: r.chat.length, acknowledged: acked.length, acknowledgedAsDuplicate: acked.filter((a) => a.duplicate).length,
      storedOnce: ids.filter((id) => stored.get(id) === 1).length,
      storedMoreThanOnce: ids.filter((id) => (stored.get(id) ?? 0) > 1).length,
      notStored: historyFull ? 0 : ids.filter((id) => !stored.has(id)).length,
      historyFull,
    };
  }

  function assemble(services: ServiceResult[], steps: StepResult[], all: ServiceRun[], stopped: string | null): DrillResult {
    const totals = { ...services.reduce((sum, s) => addCounts(sum, s.totals), emptyCounts()), errors: 0, unswitchedClients: 0 };
    totals.errors = services.reduce((n, s) => n + s.errors.length, 0) + steps.reduce((n, s) => n + s.errors.length, 0);
    totals.unswitchedClients = steps.reduce((n, s) => n + (s.interrupted ? 0 : s.sdkSwitch.clients - s.sdkSwitch.switched), 0);
    const chatBad = services.some((s) => s.chat !== null && (s.chat.acknowledged < s.chat.sent || s.chat.storedMoreThanOnce > 0 || s.chat.notStored > 0));
    const clean = totals.lost === 0 && totals.duplicated === 0 && totals.reordered === 0 && totals.errors === 0 && totals.unswitchedClients === 0 && !chatBad && services.every((s) => s.restored);
    const completed = stopped === null;
    // Loss found in an incomplete drill is still a failure: it is what a release gate must see.
    const verdict = !clean ? 'fail' : completed ? 'pass' : 'incomplete';
    const exitCode = verdict === 'pass' ? EXIT.OK : verdict === 'fail' ? EXIT.FAILED : EXIT.INCOMPLETE;
    const samples = all.flatMap((r) => latencies(r.producer.published, [...r.legacy, ...r.sdk].map((o) => o.arrivals)));
    const finished = new Date();
    return {
      tool: 'switchyard drill', version: options.version, url: admin.base, via: options.via,
      startedAt: startedAt.toISOString(), finishedAt: finished.toISOString(), durationMs: finished.getTime() - startedAt.getTime(),
      clientsPerService: options.clients, rounds: options.rounds, legacySequenceCheck: LEGACY_SEQUENCE_CHECK,
      completed, stoppedBy: stopped, verdict, exitCode, totals,
      sdkSwitch: spread(steps.flatMap((s) => (s.sdkSwitch.count ? [s.sdkSwitch.maxMs!] : []))),
      latency: spread(samples.map((s) => s.ms)),
      services, steps, latencySeries: series(samples),
    };
  }
}

/** Latency over the drill in 250 ms buckets (by send time): p50 and max per bucket. */
function series(samples: ReadonlyArray<{ at: number; ms: number }>): Array<[number, number, number]> {
  const buckets = new Map<number, number[]>();
  for (const s of samples) {
    const key = Math.floor(s.at / 250) * 250;
    const list = buckets.get(key) ?? [];
    list.push(s.ms);
    buckets.set(key, list);
  }
  return [...buckets.entries()].sort((a, b) => a[0] - b[0]).map(([at, list]) => {
    const sorted = list.sort((a, b) => a - b);
    const r1 = (v: number): number => Math.round(v * 10) / 10;
    return [at, r1(sorted[Math.floor((sorted.length - 1) / 2)]!), r1(sorted.at(-1)!)];
  });
}
