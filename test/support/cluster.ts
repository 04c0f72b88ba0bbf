/**
 * Several Switchyard nodes as separate processes (the CLI through tsx) on one
 * Redis, behind Debian's nginx started with a generated config: the way an
 * operator runs cluster mode, on ephemeral loopback ports.
 *
 * - `startCluster({ nodes: 3, redisUrl })` starts the nodes (each with its own
 *   random-free key prefix shared by the cluster) and nginx in front of them.
 * - `cluster.kill(i)` is `kill -9`; `cluster.restart(i)` starts the node again
 *   on the same port (nginx's upstream list stays valid); `cluster.stop()`
 *   stops everything and deletes the cluster's Redis keys.
 * - `startRedis()` runs a private redis-server on an ephemeral port in a
 *   temp dir, for tests that stop Redis (never the shared one on 6379).
 * - `clusterServices()` says why the cluster tests cannot run here, if they
 *   cannot (nginx or Redis missing); SWITCHYARD_REQUIRE_SERVICES=1 turns
 *   that into a failure.
 *
 * nginx balances with `ip_hash` (Socket.IO long-polling needs every request
 * of a session on one node). All test clients come from 127.0.0.1, so the
 * generated config also trusts `X-Forwarded-For` from 127.0.0.1 (realip):
 * a test spreads its clients over the nodes by sending different addresses.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deletePrefix, isRedisAvailable } from './redis.js';

export const NGINX = '/usr/sbin/nginx';
export const REDIS_SERVER = '/usr/bin/redis-server';
export const SHARED_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const CLUSTER_ADMIN_TOKEN = 'cluster-admin-token';
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5000;
const LOG_TAIL = 80;

/** Why the cluster tests cannot run here, or undefined when they can. */
export async function clusterServices(redisUrl = SHARED_REDIS_URL): Promise<string | undefined> {
  if (!existsSync(NGINX)) return `nginx not installed (${NGINX}); apt-get install -y nginx`;
  if (!(await redisAnswers(redisUrl))) return `Redis not reachable at ${redisUrl}`;
  return undefined;
}

/** True when Redis at `url` answers PING within 1 s. */
export function redisAnswers(url: string): Promise<boolean> {
  return isRedisAvailable(url);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited(child);
  clearTimeout(timer);
}

/** A private redis-server that a test may stop and start again (same port, no persistence). */
export interface PrivateRedis {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

/**
 * `persistent`: every write is fsynced to an append-only file in the temp
 * dir, so what was stored survives stop() (a kill -9) and start(), as with a
 * production Redis. Default: nothing kept.
 */
export async function startRedis(options: { persistent?: boolean } = {}): Promise<PrivateRedis> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-redis-'));
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    const persistence = options.persistent ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
    child = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence, '--dir', dir], { stdio: 'ignore' });
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (!(await redisAnswers(url))) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`redis-server on ${port} did not start`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const stop = async (): Promise<void> => {
    if (child) await stopChild(child, 'SIGKILL');
    child = undefined;
  };
  await start();
  return {
    url, port, start, stop,
    async close() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** One Switchyard process. */
export interface ClusterNode {
  readonly id: string;
  /** Its own port (stays the same across restarts). */
  readonly port: number;
  /** `http://127.0.0.1:<port>`: straight to this node, bypassing nginx. */
  readonly url: string;
  /** Its latest log lines (JSON), for failure messages. */
  readonly log: string[];
  readonly running: boolean;
}

export interface Cluster {
  /** `http://127.0.0.1:<port>` of nginx. */
  readonly url: string;
  readonly nodes: readonly ClusterNode[];
  readonly prefix: string;
  readonly dir: string;
  /** The generated nginx.conf. */
  readonly nginxConfig: string;
  /** `kill -9` node i; resolves once it is gone. */
  kill(index: number): Promise<void>;
  /** SIGTERM node i (graceful), resolves once it is gone. */
  stopNode(index: number): Promise<void>;
  /** Start node i again (after kill/stopNode) on its port; resolves once it listens. */
  restart(index: number): Promise<void>;
  /** Stops nodes and nginx, deletes the cluster's Redis keys (unless keepKeys) and its temp dir. */
  stop(options?: { keepKeys?: boolean }): Promise<void>;
}

export interface ClusterOptions {
  nodes?: number;
  redisUrl?: string;
  /** Key prefix; default a random one (so restarts of a test's cluster can share it). */
  prefix?: string;
  /** More CLI arguments for every node. */
  args?: readonly string[];
  /** More CLI arguments for node `index` (0-based) only, after `args`. */
  nodeArgs?: (index: number) => readonly string[];
  /** More environment for every node. */
  env?: Readonly<Record<string, string>>;
  /** Content of the flags file the nodes share (`--flags-file`). Default: none (plan stages). */
  flags?: Readonly<Record<string, unknown>>;
}

class NodeProcess implements ClusterNode {
  readonly id: string;
  port = 0;
  readonly log: string[] = [];
  #child: ChildProcess | undefined;
  readonly #command: (port: number) => { args: string[]; env: NodeJS.ProcessEnv };

  constructor(id: string, command: (port: number) => { args: string[]; env: NodeJS.ProcessEnv }) {
    this.id = id;
    this.#command = command;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Spawns the CLI and resolves with the port its "listening" log line names. */
  start(): Promise<void> {
    const { args, env } = this.#command(this.port);
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.id} did not listen within ${START_TIMEOUT_MS} ms:\n${this.log.join('\n')}`)), START_TIMEOUT_MS);
      let buffered = '';
      const onLine = (line: string): void => {
        this.log.push(line);
        if (this.log.length > LOG_TAIL) this.log.shift();
        try {
          const entry = JSON.parse(line) as { msg?: string; port?: number };
          if (entry.msg?.startsWith('Switchyard listening') && typeof entry.port === 'number') {
            this.port = entry.port;
            clearTimeout(timer);
            resolve();
          }
        } catch {
          // not a JSON log line (a stack trace on stderr)
        }
      };
      const onData = (chunk: Buffer): void => {
        buffered += chunk.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) if (line.trim() !== '') onLine(line);
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${this.id} exited (${code ?? signal}) before listening:\n${this.log.join('\n')}`));
      });
    });
  }

  async stop(signal: NodeJS.Signals): Promise<void> {
    if (this.#child) await stopChild(this.#child, signal);
  }
}

function nginxConfig(dir: string, listenPort: number, upstreams: readonly number[]): string {
  // Running as root (CI containers), nginx would hand its workers to `nobody`,
  // who cannot write the temp dir's buffers.
  const user = process.getuid?.() === 0 ? 'user root;\n' : '';
  return `# Generated by test/support/cluster.ts
${user}daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;

events {
  worker_connections 4096;
}

http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;

  # "Connection: upgrade" only when the client asked for an upgrade.
  map $http_upgrade $connection_upgrade {
    default upgrade;
    ''      close;
  }

  # Tests only: every client is 127.0.0.1, so trust the address it claims,
  # and ip_hash spreads the clients over the nodes.
  set_real_ip_from 127.0.0.1;
  real_ip_header X-Forwarded-For;

  upstream switchyard {
    # Socket.IO long-polling: every request of a session on the same node.
    ip_hash;
${upstreams.map((port) => `    server 127.0.0.1:${port} max_fails=1 fail_timeout=2s;`).join('\n')}
  }

  server {
    listen 127.0.0.1:${listenPort};

    location / {
      proxy_pass http://switchyard;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      # Long-lived WebSockets and long-polls: no idle cut by nginx.
      proxy_read_timeout 1h;
      proxy_send_timeout 1h;
      proxy_buffering off;
      # A node that refuses (killed, restarting) is skipped for the next.
      proxy_next_upstream error timeout;
      proxy_connect_timeout 2s;
    }
  }
}
`;
}

async function waitHttp(url: string, what: string, log: () => string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (res.status < 500) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`${what} not answering at ${url}:\n${log()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * A client address (for `X-Forwarded-For`) that nginx's `ip_hash` sends to
 * node `index` of `nodes` equal-weight upstreams, the `nth` such address: the
 * hash of ngx_http_upstream_ip_hash_module.c (first three octets of an IPv4
 * address), so a test places its clients instead of hoping for a spread.
 */
export function addressOnNode(index: number, nodes: number, nth = 0): string {
  let found = 0;
  for (let b = 0; b < 256; b++) {
    for (let c = 0; c < 256; c++) {
      let hash = 89;
      for (const octet of [10, b, c]) hash = (hash * 113 + octet) % 6271;
      if (hash % nodes === index && found++ === nth) return `10.${b}.${c}.1`;
    }
  }
  throw new RangeError(`no address for node ${index} of ${nodes}`);
}

/** Deletes every key under `prefix:` (SCAN, never FLUSHALL). */
export function deleteKeys(redisUrl: string, prefix: string): Promise<void> {
  return deletePrefix(prefix, redisUrl);
}

export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const count = options.nodes ?? 3;
  const redisUrl = options.redisUrl ?? SHARED_REDIS_URL;
  const prefix = options.prefix ?? `sytest-${randomBytes(6).toString('hex')}`;
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-cluster-'));
  if (options.flags) await writeFile(join(dir, 'flags.json'), JSON.stringify(options.flags));
  const nodes: NodeProcess[] = [];
  for (let i = 1; i <= count; i++) {
    const id = `node${i}`;
    await mkdir(join(dir, id), { recursive: true });
    nodes.push(new NodeProcess(id, (port) => ({
      args: [
        '--port', String(port), '--redis-url', redisUrl, '--redis-prefix', prefix, '--node-id', id,
        '--flags-file', join(dir, 'flags.json'), '--state-file', join(dir, id, 'state.json'),
        '--trusted-proxies', '127.0.0.1', '--log-level', 'info', ...(options.args ?? []), ...(options.nodeArgs?.(i - 1) ?? []),
      ],
      env: { ...process.env, SWITCHYARD_ADMIN_TOKEN: CLUSTER_ADMIN_TOKEN, NODE_ENV: 'test', ...options.env },
    })));
  }
  let nginx: ChildProcess | undefined;
  const nginxLog: string[] = [];
  try {
    await Promise.all(nodes.map((node) => node.start()));
    const port = await freePort();
    const config = nginxConfig(dir, port, nodes.map((node) => node.port));
    await writeFile(join(dir, 'nginx.conf'), config);
    nginx = spawn(NGINX, ['-p', `${dir}/`, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], { stdio: ['ignore', 'pipe', 'pipe'] });
    nginx.stderr?.on('data', (chunk: Buffer) => nginxLog.push(chunk.toString()));
    const url = `http://127.0.0.1:${port}`;
    await waitHttp(`${url}/health`, 'nginx', () => nginxLog.join(''));
    const proxy = nginx;
    return {
      url, nodes, prefix, dir, nginxConfig: config,
      kill: (index) => nodes[index]!.stop('SIGKILL'),
      stopNode: (index) => nodes[index]!.stop('SIGTERM'),
      restart: (index) => nodes[index]!.start(),
      async stop(stopOptions = {}) {
        await Promise.all(nodes.map((node) => node.stop('SIGTERM')));
        await stopChild(proxy, 'SIGQUIT');
        if (!stopOptions.keepKeys) await deleteKeys(redisUrl, prefix);
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await Promise.all(nodes.map((node) => node.stop('SIGKILL')));
    if (nginx) await stopChild(nginx, 'SIGKILL');
    await deleteKeys(redisUrl, prefix);
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
