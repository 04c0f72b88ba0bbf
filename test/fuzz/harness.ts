/**
 * The fuzz suite's harness: a Switchyard in a child process
 * (test/support/fuzz-server.ts), canary clients on every service, the
 * server-wide properties checked after every batch, and a batch runner that
 * draws inputs from fast-check with fixed seeds and executes them with bounded
 * concurrency, by count and by deadline.
 *
 * A failure names the surface, the seed of the batch and the input's index in
 * it (`fc.sample(arbitrary, { seed, numRuns })[index]` draws it again), and the
 * input itself; a dead child adds the inputs in flight and its stderr tail.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { io as ioClient, type Socket } from 'socket.io-client';
import { WebSocket } from 'ws';
import { ERRORS } from '../../src/errors/catalogue.js';
import { DRIVERS, pickMarkers, type ServiceDriver } from '../support/drivers.js';
import { LegacyClient } from '../support/legacy-client.js';
import { FUZZ_ADMIN_TOKEN, type HeapReply } from '../support/fuzz-server.js';

export { FUZZ_ADMIN_TOKEN };
export const adminAuth = { authorization: `Bearer ${FUZZ_ADMIN_TOKEN}` };

/** Heap after GC may grow at most this much over the fuzz run (bounded stores, no leaks). */
export const HEAP_GROWTH_BOUND = 64 * 1024 * 1024;
/** Deadline of each liveness probe (health, canary event, heap reply). */
const PROBE_MS = 5000;

const SERVER_ENTRY = fileURLToPath(new URL('../support/fuzz-server.ts', import.meta.url));

export interface FuzzServer {
  readonly url: string;
  readonly wsUrl: string;
  readonly port: number;
  readonly child: ChildProcess;
  alive(): boolean;
  /** How the child ended, if it did, and the last lines it wrote to stderr. */
  deathNote(): string;
  /** heapUsed after a full GC, via IPC. */
  heapUsed(): Promise<number>;
  close(): Promise<void>;
}

/** Fork the fuzz server and wait for its port. */
export async function startFuzzServer(): Promise<FuzzServer> {
  const child = fork(SERVER_ENTRY, [], {
    execArgv: ['--import', 'tsx', '--expose-gc'],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-8000);
  });
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  child.on('exit', (code, signal) => (exit = { code, signal }));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`fuzz server did not start within 30 s: ${stderr}`)), 30_000);
    child.on('message', (message: { type?: string; port?: number }) => {
      if (message.type === 'listening' && typeof message.port === 'number') {
        clearTimeout(timer);
        resolve(message.port);
      }
    });
    child.once('exit', () => {
      clearTimeout(timer);
      reject(new Error(`fuzz server exited before listening: ${stderr}`));
    });
  });
  const alive = (): boolean => exit === undefined && child.exitCode === null && child.signalCode === null;
  return {
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    port,
    child,
    alive,
    deathNote: () => `server process ${exit ? `exited (code ${exit.code}, signal ${exit.signal})` : 'alive'}; stderr tail:\n${stderr.slice(-3000) || '(empty)'}`,
    heapUsed: () => new Promise<number>((resolve, reject) => {
      if (!alive()) return reject(new Error('server process is dead'));
      const timer = setTimeout(() => {
        child.off('message', onMessage);
        reject(new Error(`no heap reply within ${PROBE_MS} ms`));
      }, PROBE_MS);
      const onMessage = (message: Partial<HeapReply>): void => {
        if (message.type !== 'heap' || typeof message.heapUsed !== 'number') return;
        clearTimeout(timer);
        child.off('message', onMessage);
        resolve(message.heapUsed);
      };
      child.on('message', onMessage);
      child.send({ type: 'heap' });
    }),
    async close() {
      if (!alive()) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.disconnect();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** One legacy client (legacy handlers) and one Socket.IO client (joined) per service, open for the whole run. */
interface Canary {
  driver: ServiceDriver;
  legacy: LegacyClient;
  sio: Socket;
  /** Payloads of the driver's event since the last check. */
  seen: unknown[];
}

export class Canaries {
  #marker = 0;
  readonly #base: string;
  readonly #entries: Canary[];

  private constructor(base: string, entries: Canary[]) {
    this.#base = base;
    this.#entries = entries;
  }

  static async open(server: FuzzServer): Promise<Canaries> {
    const entries: Canary[] = [];
    for (const driver of DRIVERS) {
      await driver.setup(server.url);
      const sep = driver.legacyPath.includes('?') ? '&' : '?';
      const legacy = await LegacyClient.connect(`${server.wsUrl}${driver.legacyPath}${sep}client_id=fuzz-legacy-canary-${driver.service}`);
      const sio = ioClient(server.url + driver.namespace, { transports: ['websocket'], reconnection: false, forceNew: true });
      const seen: unknown[] = [];
      sio.on(driver.event, (payload: unknown) => seen.push(payload));
      const [event, payload] = driver.join;
      const ack = (await sio.timeout(PROBE_MS).emitWithAck(event, payload)) as { ok?: boolean };
      if (ack.ok !== true) throw new Error(`canary join on ${driver.namespace} refused: ${JSON.stringify(ack)}`);
      entries.push({ driver, legacy, sio, seen });
    }
    return new Canaries(server.url, entries);
  }

  /** Publish a fresh marker on every service; each canary must receive it on both transports. */
  async check(): Promise<void> {
    await Promise.all(this.#entries.map(async ({ driver, legacy, sio, seen }) => {
      const marker = `m${++this.#marker}`;
      await driver.produce(this.#base, marker);
      const has = (value: unknown): boolean => value !== null && typeof value === 'object' && pickMarkers(driver, value as Record<string, unknown>).includes(marker);
      try {
        await legacy.next((frame) => {
          try {
            return has(JSON.parse(frame));
          } catch {
            return false;
          }
        }, PROBE_MS);
      } catch (error) {
        throw new Error(`legacy canary of ${driver.service} did not get ${marker}: ${(error as Error).message}`);
      }
      if (!sio.connected) throw new Error(`Socket.IO canary of ${driver.service} was disconnected`);
      const deadline = Date.now() + PROBE_MS;
      while (!seen.some(has)) {
        if (Date.now() > deadline) throw new Error(`Socket.IO canary of ${driver.service} did not get ${marker} (${driver.event}) within ${PROBE_MS} ms`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 50);
          sio.once(driver.event, () => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      seen.length = 0;
    }));
  }

  close(): void {
    for (const { legacy, sio } of this.#entries) {
      legacy.close();
      sio.disconnect();
    }
  }
}

/**
 * The properties that must hold after every batch, whatever the inputs were:
 * the process is alive, /health answers 200 in time, every canary still gets
 * fresh events on both transports, heap after GC within the bound.
 */
export async function checkServer(server: FuzzServer, canaries: Canaries, baselineHeap: number): Promise<void> {
  if (!server.alive()) throw new Error(`server died. ${server.deathNote()}`);
  const res = await fetch(`${server.url}/health`, { signal: AbortSignal.timeout(PROBE_MS) }).catch((error: unknown) => {
    throw new Error(`GET /health: no answer within ${PROBE_MS} ms (${String(error)}). ${server.deathNote()}`);
  });
  if (res.status !== 200) throw new Error(`GET /health answered ${res.status}`);
  await res.arrayBuffer();
  await canaries.check();
  const heap = await server.heapUsed();
  if (heap - baselineHeap > HEAP_GROWTH_BOUND) {
    throw new Error(`heap after GC grew by ${((heap - baselineHeap) / 2 ** 20).toFixed(1)} MB (bound ${HEAP_GROWTH_BOUND / 2 ** 20} MB)`);
  }
}

/**
 * A documented HTTP answer: a success, or a 4xx with `{error:{code,message}}`
 * whose code is in the catalogue and maps to that status. Never a 5xx.
 * Returns what is wrong, or undefined.
 */
export function httpAnswerProblem(status: number, body: string): string | undefined {
  if (status >= 500) return `status ${status} (never a 5xx): ${body.slice(0, 300)}`;
  if (status < 400) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return `status ${status} with a body that is not JSON: ${JSON.stringify(body.slice(0, 200))}`;
  }
  const error = (parsed as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  if (typeof error?.code !== 'string' || typeof error.message !== 'string') return `status ${status} without {error:{code,message}}: ${body.slice(0, 200)}`;
  if (!Object.hasOwn(ERRORS, error.code)) return `status ${status} with code ${error.code}, not in the catalogue`;
  const expected = ERRORS[error.code as keyof typeof ERRORS].httpStatus;
  if (expected !== status) return `status ${status} with code ${error.code}, whose status is ${expected}`;
  return undefined;
}

export interface FuzzRun<T> {
  /** Surface name, for messages. */
  name: string;
  server: FuzzServer;
  arbitrary: fc.Arbitrary<T>;
  /** Seed of batch 0; batch b uses seed + b. */
  seed: number;
  total: number;
  batchSize: number;
  /** Inputs executed at once. */
  concurrency: number;
  /** Wall-clock budget of the whole run; cutting the count short fails the run. */
  deadlineMs: number;
  /** Run one input; return a property violation, or undefined. */
  execute(input: T): Promise<string | undefined>;
  /** After each batch (default: nothing; usually `checkServer`). */
  afterBatch?(): Promise<void>;
  /** Short printable form of an input (default: JSON, cut). */
  show?(input: T): string;
}

export interface FuzzResult {
  count: number;
  ms: number;
}

const showDefault = (input: unknown): string => {
  const text = typeof input === 'string' ? JSON.stringify(input) : JSON.stringify(input, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? `<${v.length} bytes>` : v));
  return text === undefined ? String(input) : text.length > 400 ? `${text.slice(0, 400)}… (${text.length} chars)` : text;
};

/** Draw, execute and check, batch by batch. Throws on the first batch with a violation. */
export async function runFuzz<T>(run: FuzzRun<T>): Promise<FuzzResult> {
  const started = Date.now();
  const show = run.show ?? showDefault;
  let count = 0;
  for (let batch = 0; count < run.total; batch++) {
    if (Date.now() - started > run.deadlineMs) {
      throw new Error(`${run.name}: the ${run.deadlineMs} ms deadline cut the run at ${count} of ${run.total} inputs (make batches cheaper)`);
    }
    const seed = run.seed + batch;
    const inputs = fc.sample(run.arbitrary, { seed, numRuns: Math.min(run.batchSize, run.total - count) });
    const violations: string[] = [];
    const inFlight = new Map<number, T>();
    let next = 0;
    let dead = false;
    const worker = async (): Promise<void> => {
      while (next < inputs.length && !dead) {
        const index = next++;
        const input = inputs[index]!;
        inFlight.set(index, input);
        let problem: string | undefined;
        try {
          problem = await run.execute(input);
        } catch (error) {
          problem = `threw ${String((error as Error).message ?? error)}`;
        }
        inFlight.delete(index);
        if (!run.server.alive()) {
          // One report of the death, from the first worker to see it.
          if (dead) return;
          dead = true;
          const suspects = [index, ...inFlight.keys()].map((i) => `  [seed ${seed} index ${i}] ${show(inputs[i]!)}`);
          violations.push(`the server process died while these inputs were in flight:\n${suspects.join('\n')}`);
          return;
        }
        if (problem !== undefined) violations.push(`[seed ${seed} index ${index}] ${problem}\n    input: ${show(input)}`);
      }
    };
    await Promise.all(Array.from({ length: run.concurrency }, worker));
    count += inputs.length;
    if (violations.length > 0) {
      const listed = violations.slice(0, 8).join('\n');
      throw new Error(`${run.name}: ${violations.length} violation(s) in batch ${batch} (seed ${seed}; redraw with fc.sample(arbitrary, { seed: ${seed}, numRuns: ${inputs.length} }))\n${listed}${dead ? `\n${run.server.deathNote()}` : ''}`);
    }
    try {
      await run.afterBatch?.();
    } catch (error) {
      throw new Error(`${run.name}: property check after batch ${batch} (seed ${seed}, ${count} inputs so far) failed: ${(error as Error).message}`);
    }
  }
  const ms = Date.now() - started;
  console.log(`[fuzz] ${run.name}: ${count} inputs in ${ms} ms (seed ${run.seed})`);
  return { count, ms };
}

/** Start a server, its canaries and the heap baseline; `after` checks the server properties. */
export async function fuzzSession(): Promise<{ server: FuzzServer; canaries: Canaries; check: () => Promise<void>; close: () => Promise<void> }> {
  const server = await startFuzzServer();
  const canaries = await Canaries.open(server);
  const baseline = await server.heapUsed();
  return {
    server, canaries,
    check: () => checkServer(server, canaries, baseline),
    async close() {
      canaries.close();
      await server.close();
    },
  };
}

/**
 * Send one fuzzed frame or packet, then a protocol ping: the pong proves the
 * server read past the input and is still serving this connection; a close
 * is an answer too. Neither within `ms` means the server wedged.
 */
export function sendAndProbe(ws: WebSocket, data: string | Buffer, ms: number): Promise<'pong' | 'closed' | 'timeout'> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => done('timeout'), ms);
    const onPong = (): void => done('pong');
    const onClose = (): void => done('closed');
    function done(result: 'pong' | 'closed' | 'timeout'): void {
      clearTimeout(timer);
      ws.off('pong', onPong);
      ws.off('close', onClose);
      resolve(result);
    }
    ws.on('pong', onPong);
    ws.on('close', onClose);
    ws.send(data, () => {});
    if (ws.readyState === WebSocket.OPEN) ws.ping();
  });
}
