/**
 * Start-up weight: the RSS of a fresh `switchyard` (the built CLI, `node
 * dist/src/cli.js --port 0`, embedded defaults: all seven services, plan
 * stages, no Unleash, no client auth, no Redis) against a plain `socket.io`
 * server (plain-socketio-server.mjs), each in its own process, both preloaded
 * with rss-probe.mjs and `--expose-gc`, sampled over IPC:
 * - "fresh": 1 s after the listening line;
 * - "after GC": right after, following 4 forced full GCs;
 * - "idle": after BENCH_STARTUP_IDLE_MS (20 s) with nothing connected, again
 *   after forced GCs. V8 keeps the young generation it grew while loading
 *   modules until its memory reducer runs on an idle process (~10-15 s), so
 *   this is the weight a server carries while it waits for traffic.
 * Rounds (BENCH_STARTUP_ROUNDS, 3) start both servers side by side; every
 * figure is the median. Then one census run counts the module files each
 * server loads, per package (module-census.mjs), to show what dominates.
 *
 * Run alone: `npx tsx test/bench/startup.ts` (part of `npm run bench`; BENCH_ONLY=startup).
 * Writes test/bench/results/startup.json and startup.md.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { writeJsonAndMarkdown } from './report-files.js';
import { fmt } from './report.js';
import { median } from './stats.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const HERE = fileURLToPath(new URL('.', import.meta.url));

export interface MemoryProbe {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  newSpace: number;
  oldSpace: number;
  codeSpace: number;
}

type Moment = 'fresh' | 'afterGc' | 'idle';
const MOMENTS: Moment[] = ['fresh', 'afterGc', 'idle'];
const MOMENT_LABEL: Record<Moment, string> = { fresh: 'fresh (1 s after listening)', afterGc: 'after forced GC', idle: 'idle, after forced GC' };

interface ServerSpec {
  name: 'switchyard' | 'plain socket.io';
  args: string[];
}

const SERVERS: ServerSpec[] = [
  { name: 'switchyard', args: [join(ROOT, 'dist/src/cli.js'), '--port', '0', '--host', '127.0.0.1'] },
  { name: 'plain socket.io', args: [join(HERE, 'plain-socketio-server.mjs')] },
];

export interface StartupResult {
  date: string;
  node: string;
  rounds: number;
  idleMs: number;
  /** Medians, bytes. */
  samples: Record<ServerSpec['name'], Record<Moment, MemoryProbe>>;
  runs: Record<ServerSpec['name'], Record<Moment, number[]>>;
  /** Module files loaded at start-up, per package ('(own)' = not under node_modules). */
  census: Record<ServerSpec['name'], Record<string, number>>;
}

/** The bench measures the build: make it when it is missing or older than the sources. */
export async function ensureBuild(log: (m: string) => void): Promise<void> {
  const newest = async (dir: string): Promise<number> => {
    let latest = 0;
    const entries = await readdir(join(ROOT, dir), { withFileTypes: true, recursive: true }).catch(() => []);
    for (const entry of entries) if (entry.isFile()) latest = Math.max(latest, (await stat(join(entry.parentPath, entry.name))).mtimeMs);
    return latest;
  };
  const built = await stat(join(ROOT, 'dist/src/cli.js')).then((s) => s.mtimeMs, () => 0);
  const sources = Math.max(await newest('src'), await newest('migrations-plan'));
  if (built > sources) return;
  log('  building dist/ (npm run build)');
  await promisify(execFile)('npm', ['run', 'build'], { cwd: ROOT, timeout: 170_000 });
}

function waitForLine(proc: ChildProcess, pattern: RegExp, timeoutMs: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => finish(new Error(`${what}: no line matching ${pattern} within ${timeoutMs} ms; output so far: ${seen.slice(-500)}`)), timeoutMs);
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString();
      if (pattern.test(seen)) finish();
    };
    const onExit = (code: number | null): void => finish(new Error(`${what} exited (${code}) before listening: ${seen.slice(-500)}`));
    const finish = (error?: Error): void => {
      clearTimeout(timer);
      proc.stdout?.off('data', onData);
      proc.off('exit', onExit);
      if (error) reject(error);
      else resolve();
    };
    proc.stdout?.on('data', onData);
    proc.once('exit', onExit);
  });
}

function probe(proc: ChildProcess, gc: boolean, timeoutMs = 10_000): Promise<MemoryProbe> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.off('message', onMessage);
      reject(new Error('memory probe: no answer'));
    }, timeoutMs);
    const onMessage = (message: { op?: string } & MemoryProbe): void => {
      if (message.op !== 'sample') return;
      clearTimeout(timer);
      proc.off('message', onMessage);
      resolve(message);
    };
    proc.on('message', onMessage);
    proc.send({ op: 'sample', gc });
  });
}

async function stop(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function measureOnce(spec: ServerSpec, idleMs: number): Promise<Record<Moment, MemoryProbe>> {
  const proc = spawn(process.execPath, ['--expose-gc', '--import', pathToFileURL(join(HERE, 'rss-probe.mjs')).href, ...spec.args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  proc.stderr?.resume();
  try {
    await waitForLine(proc, /listening/i, 30_000, spec.name);
    proc.stdout?.resume();
    await sleep(1000);
    const fresh = await probe(proc, false);
    const afterGc = await probe(proc, true);
    await sleep(idleMs);
    const idle = await probe(proc, true);
    return { fresh, afterGc, idle };
  } finally {
    await stop(proc);
  }
}

async function census(spec: ServerSpec): Promise<Record<string, number>> {
  const proc = spawn(process.execPath, ['--import', pathToFileURL(join(HERE, 'module-census.mjs')).href, ...spec.args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  const files = new Set<string>();
  let tail = '';
  proc.stderr?.on('data', (chunk: Buffer) => {
    const lines = (tail + chunk.toString()).split('\n');
    tail = lines.pop() ?? '';
    for (const line of lines) if (line.startsWith('census ')) files.add(line.slice('census '.length));
  });
  try {
    await waitForLine(proc, /listening/i, 30_000, `${spec.name} (census)`);
    await sleep(500);
  } finally {
    await stop(proc);
  }
  const perPackage: Record<string, number> = {};
  for (const file of files) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
    const key = match ? match[1]! : '(own)';
    perPackage[key] = (perPackage[key] ?? 0) + 1;
  }
  return perPackage;
}

export async function benchStartup(options: { log: (m: string) => void; resultsDir: string }): Promise<StartupResult> {
  const { log } = options;
  const rounds = Number(process.env.BENCH_STARTUP_ROUNDS ?? 3);
  const idleMs = Number(process.env.BENCH_STARTUP_IDLE_MS ?? 20_000);
  await ensureBuild(log);
  const runs = Object.fromEntries(SERVERS.map((s) => [s.name, [] as Record<Moment, MemoryProbe>[]])) as Record<ServerSpec['name'], Record<Moment, MemoryProbe>[]>;
  // Bounded: `rounds` rounds, each ~idleMs + a few seconds; both servers side by side (memory does not compete on this box).
  for (let round = 1; round <= rounds; round++) {
    const samples = await Promise.all(SERVERS.map((spec) => measureOnce(spec, idleMs)));
    SERVERS.forEach((spec, i) => runs[spec.name].push(samples[i]!));
    log(`  round ${round}: ` + SERVERS.map((spec, i) => `${spec.name} RSS ${MOMENTS.map((m) => fmt(samples[i]![m].rss / 1e6, 1)).join(' / ')} MB`).join('; ') + ' (fresh / after GC / idle)');
  }
  const medianProbe = (list: Record<Moment, MemoryProbe>[], moment: Moment): MemoryProbe => {
    const keys = Object.keys(list[0]![moment]).filter((k) => k !== 'op') as (keyof MemoryProbe)[];
    return Object.fromEntries(keys.map((k) => [k, median(list.map((s) => s[moment][k]))])) as unknown as MemoryProbe;
  };
  const result: StartupResult = {
    date: new Date().toISOString(),
    node: process.version,
    rounds,
    idleMs,
    samples: Object.fromEntries(SERVERS.map((s) => [s.name, Object.fromEntries(MOMENTS.map((m) => [m, medianProbe(runs[s.name], m)]))])) as StartupResult['samples'],
    runs: Object.fromEntries(SERVERS.map((s) => [s.name, Object.fromEntries(MOMENTS.map((m) => [m, runs[s.name].map((r) => r[m].rss)]))])) as StartupResult['runs'],
    census: Object.fromEntries(await Promise.all(SERVERS.map(async (s) => [s.name, await census(s)] as const))) as StartupResult['census'],
  };
  await writeJsonAndMarkdown(options.resultsDir, 'startup', result, startupMarkdown(result));
  log(startupMarkdown(result));
  return result;
}

export function startupMarkdown(r: StartupResult): string {
  const sy = r.samples.switchyard;
  const base = r.samples['plain socket.io'];
  const mb = (bytes: number): string => fmt(bytes / 1e6, 1);
  const lines = [
    '### Start-up weight: a fresh `switchyard` vs a plain `socket.io` server',
    '',
    `Measured ${r.date}, Node ${r.node}; median of ${r.rounds} rounds. \`node dist/src/cli.js --port 0\` (embedded defaults, NODE_ENV=production) and a plain Socket.IO server, each in its own process; "idle" is after ${fmt(r.idleMs / 1000, 0)} s with no client. Command: \`npm run bench\` (or \`BENCH_ONLY=startup\`).`,
    '',
    '| Moment | Switchyard RSS (MB) | plain socket.io RSS (MB) | Ratio | Switchyard heap used / young gen (MB) | plain heap used / young gen (MB) |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...MOMENTS.map((m) => `| ${MOMENT_LABEL[m]} | ${mb(sy[m].rss)} | ${mb(base[m].rss)} | ${fmt(sy[m].rss / base[m].rss, 2)} | ${mb(sy[m].heapUsed)} / ${mb(sy[m].newSpace)} | ${mb(base[m].heapUsed)} / ${mb(base[m].newSpace)} |`),
    '',
    'Module files loaded at start-up, by package (top 12):',
    '',
    '| Switchyard | files | plain socket.io | files |',
    '| --- | ---: | --- | ---: |',
  ];
  const top = (c: Record<string, number>): [string, number][] => Object.entries(c).sort((a, b) => b[1] - a[1]).slice(0, 12);
  const a = top(r.census.switchyard);
  const b = top(r.census['plain socket.io']);
  for (let i = 0; i < Math.max(a.length, b.length); i++) lines.push(`| ${a[i]?.[0] ?? ''} | ${a[i]?.[1] ?? ''} | ${b[i]?.[0] ?? ''} | ${b[i]?.[1] ?? ''} |`);
  const total = (c: Record<string, number>): number => Object.values(c).reduce((x, y) => x + y, 0);
  lines.push(`| **total** | ${total(r.census.switchyard)} | **total** | ${total(r.census['plain socket.io'])} |`, '');
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchStartup({ log: (m) => console.log(m), resultsDir: join(HERE, 'results') });
}
