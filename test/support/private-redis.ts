import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './cluster.js';
import { isRedisAvailable } from './redis.js';

/**
 * A redis-server of the test's own on an ephemeral loopback port, to stop and
 * start at will without disturbing the shared one. Append-only file synced on
 * every write, so a restart keeps what was acknowledged (as a production
 * Redis with persistence would).
 */
export class PrivateRedis {
  readonly port: number;
  readonly url: string;
  readonly #dir: string;
  #process: ChildProcess | undefined;

  private constructor(port: number, dir: string) {
    this.port = port;
    this.url = `redis://127.0.0.1:${port}`;
    this.#dir = dir;
  }

  static async start(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort(), await mkdtemp(join(tmpdir(), 'sy-redis-')));
    await redis.resume();
    return redis;
  }

  /** Start (again) on the same port and files; resolves once it answers PING. */
  async resume(): Promise<void> {
    this.#process = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', this.#dir], { stdio: 'ignore' });
    const deadline = Date.now() + 5000;
    while (!(await isRedisAvailable(this.url))) {
      if (Date.now() > deadline) throw new Error(`private redis-server on ${this.port} did not start`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** kill -9: connections drop at once, nothing is flushed beyond what was synced. */
  async kill(): Promise<void> {
    const child = this.#process;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    await this.kill();
    await rm(this.#dir, { recursive: true, force: true });
  }
}
