import { fork, type ChildProcess } from 'node:child_process';
import type { WebSocket } from 'ws';

/**
 * A tiny typed request/response layer over the `child_process` IPC channel.
 * `A` maps an operation name to `{ arg; result }` (see protocol.ts). Every call
 * has a deadline; a child that dies fails its pending calls at once.
 */

type Arg<A, K extends keyof A> = A[K] extends { arg: infer P } ? P : never;
type Res<A, K extends keyof A> = A[K] extends { result: infer R } ? R : never;

export type Handlers<A> = { [K in keyof A]: (arg: Arg<A, K>) => Promise<Res<A, K>> | Res<A, K> };

interface Request {
  id: number;
  op: string;
  arg: unknown;
}
type Response = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

export interface ForkOptions {
  /** Extra node flags (the tsx loader flags of this process are always passed on). */
  nodeFlags?: readonly string[];
  env?: NodeJS.ProcessEnv;
}

/** The parent's handle on one child process. */
export class Child<A> {
  readonly name: string;
  readonly #proc: ChildProcess;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  readonly #exit: Promise<void>;

  private constructor(name: string, proc: ChildProcess) {
    this.name = name;
    this.#proc = proc;
    proc.on('message', (message: Response) => {
      const pending = this.#pending.get(message.id);
      if (!pending) return;
      this.#pending.delete(message.id);
      clearTimeout(pending.timer);
      if (message.ok) pending.resolve(message.result);
      else pending.reject(new Error(`${this.name}: ${message.error}`));
    });
    this.#exit = new Promise((resolve) => {
      proc.on('exit', (code, signal) => {
        this.#exited = { code, signal };
        for (const [id, pending] of this.#pending) {
          clearTimeout(pending.timer);
          pending.reject(new Error(`${this.name} exited (code ${code}, signal ${signal}) during call #${id}`));
        }
        this.#pending.clear();
        resolve();
      });
    });
  }

  /** Fork `modulePath` (a .ts file) with this process's tsx loader, plus `--expose-gc` and any extra flags. */
  static start<A>(name: string, modulePath: string, options: ForkOptions = {}): Child<A> {
    const proc = fork(modulePath, [], {
      execArgv: [...process.execArgv, '--expose-gc', ...(options.nodeFlags ?? [])],
      env: options.env ?? process.env,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return new Child<A>(name, proc);
  }

  get pid(): number | undefined {
    return this.#proc.pid;
  }

  call<K extends keyof A & string>(op: K, arg: Arg<A, K>, timeoutMs: number): Promise<Res<A, K>> {
    if (this.#exited) return Promise.reject(new Error(`${this.name} is not running`));
    const id = this.#nextId++;
    return new Promise<Res<A, K>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`${this.name}.${op}: no answer within ${Math.round(timeoutMs)} ms`));
      }, Math.max(1, timeoutMs));
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
      const request: Request = { id, op, arg };
      this.#proc.send(request);
    });
  }

  /** Wait for the child to exit by itself (after a `stop` call); kill it (by pid) if it has not within `timeoutMs`. */
  async waitExit(timeoutMs: number): Promise<void> {
    if (this.#exited) return;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), timeoutMs);
    });
    const late = await Promise.race([this.#exit.then(() => false), timedOut]);
    clearTimeout(timer);
    if (late) await this.kill();
  }

  /** Kill this child (only this one, by its handle) and wait for its exit. */
  async kill(): Promise<void> {
    if (this.#exited) return;
    this.#proc.kill('SIGKILL');
    await this.#exit;
  }
}

/** The child's side: answer requests with `handlers`; exit when the parent goes away. */
export function serve<A>(handlers: Handlers<A>): void {
  const send = (response: Response): void => {
    process.send?.(response);
  };
  process.on('message', (message: Request) => {
    const handler = (handlers as Record<string, ((arg: unknown) => unknown) | undefined>)[message.op];
    if (!handler) {
      send({ id: message.id, ok: false, error: `unknown op ${message.op}` });
      return;
    }
    Promise.resolve()
      .then(() => handler(message.arg))
      .then(
        (result) => send({ id: message.id, ok: true, result }),
        (error: unknown) => send({ id: message.id, ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
      );
  });
  // An orphan must not outlive the bench.
  process.on('disconnect', () => process.exit(0));
}

/** Milliseconds on a clock shared by all local processes (wall-clock origin + monotonic offset). */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Call `publish(i)` for i = 0…events-1 at `ratePerSec`, on schedule (a late
 * turn catches up). Bounded by count and by time (3× the nominal duration + 5 s).
 */
export async function publishPaced(events: number, ratePerSec: number, publish: (i: number) => void): Promise<{ publishStart: number; publishEnd: number; published: number }> {
  const interval = 1000 / ratePerSec;
  const publishStart = now();
  const hardStop = publishStart + events * interval * 3 + 5000;
  let i = 0;
  while (i < events && now() < hardStop) {
    const wait = publishStart + i * interval - now();
    if (wait > 0) await sleep(wait);
    while (i < events && publishStart + i * interval <= now()) publish(i++);
  }
  return { publishStart, publishEnd: now(), published: i };
}

/** `promise`, or a rejection naming `what` after `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: timeout after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A legacy `ws` client's handshake: resolves on open; a refusal, an error or `timeoutMs` rejects and terminates it. */
export function whenOpen(ws: WebSocket, url: string, timeoutMs: number): Promise<void> {
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`legacy handshake refused: ${res.statusCode}`)));
    ws.once('error', reject);
  });
  return withTimeout(opened, timeoutMs, `legacy connect ${url}`).catch((error: unknown) => {
    ws.terminate();
    throw error;
  });
}
