/**
 * A real Unleash 6 server for integration tests, with admin helpers that speak
 * its own admin API.
 *
 * Each startUnleash() creates a fresh database `switchyard_unleash_<random>` on
 * the local PostgreSQL (127.0.0.1:5432, user postgres, trust auth), runs
 * node_modules/unleash-server in a child process (unleash-launcher.mjs) on a
 * free loopback port, and waits for `/health`. stop() kills the child and
 * drops the database. Nothing leaves the machine: version checks and
 * telemetry are off.
 *
 * Every admin helper resolves only once the change is visible on the client
 * API (`/api/client/features`). Unleash recomputes the revision it serves
 * clients once a second, so without this wait a test would measure Unleash's
 * latency and not the SDK's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export interface UnleashHarness {
  /** The API base the SDK needs, e.g. `http://127.0.0.1:40123/api`. */
  readonly url: string;
  /** Client token for project `default`, environment `development`. */
  readonly clientToken: string;
  /** Admin token (all projects and environments). */
  readonly adminToken: string;
  /** Creates a release flag in project `default` (off everywhere). */
  createFlag(name: string): Promise<void>;
  /** Turns the flag on in `development` (Unleash adds a 100% rollout if it has no strategy). */
  enable(name: string): Promise<void>;
  disable(name: string): Promise<void>;
  /** Makes the flag's `development` strategy a flexibleRollout of `percent`%. */
  setRollout(name: string, percent: number, stickiness?: string): Promise<void>;
  /** One variant named `stageName`, weight 1000, on the flag's `development` strategy. */
  setVariant(name: string, stageName: string): Promise<void>;
  /** Kills the server and drops its database. Idempotent. */
  stop(): Promise<void>;
}

const PG = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' } as const;
const LAUNCHER = fileURLToPath(new URL('./unleash-launcher.mjs', import.meta.url));
const READY_TIMEOUT_MS = 90_000;
const VISIBLE_TIMEOUT_MS = 10_000;

/** CI sets SWITCHYARD_REQUIRE_SERVICES=1 so a missing PostgreSQL fails instead of skipping. */
export function requireServices(): boolean {
  return process.env.SWITCHYARD_REQUIRE_SERVICES === '1';
}

/** True when the local PostgreSQL answers within 2 s. */
export async function isPostgresAvailable(): Promise<boolean> {
  const client = new pg.Client({ ...PG, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Starts a fresh Unleash server; rejects (after cleaning up) if it is not healthy within 90 s. */
export async function startUnleash(): Promise<UnleashHarness> {
  const database = `switchyard_unleash_${randomBytes(6).toString('hex')}`;
  const adminToken = `*:*.${randomBytes(16).toString('hex')}`;
  const clientToken = `default:development.${randomBytes(16).toString('hex')}`;
  await adminQuery(`create database ${database}`);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const output: string[] = [];
  const child = spawn(process.execPath, [LAUNCHER], {
    // The IPC channel lets the launcher notice when this process dies.
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: {
      ...process.env,
      NODE_ENV: 'production',
      SWITCHYARD_UNLEASH_PORT: String(port),
      SWITCHYARD_UNLEASH_DATABASE: database,
      INIT_ADMIN_API_TOKENS: adminToken,
      INIT_CLIENT_API_TOKENS: clientToken,
      CHECK_VERSION: 'false',
      SEND_TELEMETRY: 'false',
      // Belt and braces: were the version check ever enabled, it goes nowhere.
      UNLEASH_VERSION_URL: 'http://127.0.0.1:9/',
      LOG_LEVEL: process.env.SWITCHYARD_UNLEASH_LOG_LEVEL ?? 'warn',
    },
  });
  const keep = (chunk: Buffer): void => {
    output.push(chunk.toString());
    if (output.length > 200) output.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.on('error', (error) => output.push(`spawn error: ${error.message}`));

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      await killChild(child);
      await adminQuery(`drop database if exists ${database} with (force)`);
    })();
    return stopped;
  };

  try {
    await waitForHealth(base, child, output);
  } catch (error) {
    await stop();
    throw error;
  }

  const admin = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const response = await fetch(`${base}/api/admin/projects/default/features${path}`, {
      method,
      headers: { Authorization: adminToken, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path} -> ${response.status}: ${text}`);
    return text ? (JSON.parse(text) as unknown) : undefined;
  };
  const visible = (name: string, check: (feature: ClientFeature) => boolean): Promise<void> =>
    waitForClientView(base, clientToken, name, check);
  const environment = (name: string): string => `/${encodeURIComponent(name)}/environments/development`;

  /** The flag's first strategy in development, created as a 100% rollout when there is none. */
  const firstStrategy = async (name: string): Promise<Strategy> => {
    const strategies = (await admin('GET', `${environment(name)}/strategies`)) as Strategy[];
    if (strategies[0]) return strategies[0];
    return (await admin('POST', `${environment(name)}/strategies`, {
      name: 'flexibleRollout',
      constraints: [],
      parameters: { rollout: '100', stickiness: 'default', groupId: name },
    })) as Strategy;
  };

  return {
    url: `${base}/api`,
    clientToken,
    adminToken,
    async createFlag(name) {
      await admin('POST', '', { name, type: 'release' });
      await visible(name, () => true);
    },
    async enable(name) {
      await admin('POST', `${environment(name)}/on`);
      await visible(name, (feature) => feature.enabled);
    },
    async disable(name) {
      await admin('POST', `${environment(name)}/off`);
      await visible(name, (feature) => !feature.enabled);
    },
    async setRollout(name, percent, stickiness = 'clientId') {
      const strategy = await firstStrategy(name);
      const parameters = { rollout: String(percent), stickiness, groupId: name };
      await admin('PUT', `${environment(name)}/strategies/${strategy.id}`, {
        name: 'flexibleRollout',
        constraints: strategy.constraints ?? [],
        variants: strategy.variants ?? [],
        parameters,
      });
      await visible(name, (feature) =>
        (feature.strategies ?? []).some(
          (s) => s.parameters?.rollout === parameters.rollout && s.parameters?.stickiness === stickiness,
        ),
      );
    },
    async setVariant(name, stageName) {
      // Unleash 6.10 refuses environment variants ("deprecated ... use strategy
      // variants") unless they already exist, so the variant goes on the strategy.
      const strategy = await firstStrategy(name);
      await admin('PUT', `${environment(name)}/strategies/${strategy.id}`, {
        name: strategy.name,
        constraints: strategy.constraints ?? [],
        parameters: strategy.parameters ?? {},
        variants: [{ name: stageName, weight: 1000, weightType: 'variable', stickiness: 'default' }],
      });
      await visible(name, (feature) =>
        (feature.strategies ?? []).some((s) => s.variants?.some((v) => v.name === stageName)),
      );
    },
    stop,
  };
}

interface Strategy {
  id: string;
  name: string;
  constraints?: unknown[];
  parameters?: Record<string, string>;
  variants?: { name: string }[];
}
interface ClientFeature {
  name: string;
  enabled: boolean;
  strategies?: Omit<Strategy, 'id'>[];
}

async function waitForClientView(
  base: string,
  clientToken: string,
  name: string,
  check: (feature: ClientFeature) => boolean,
): Promise<void> {
  const deadline = Date.now() + VISIBLE_TIMEOUT_MS;
  let last = 'no answer';
  while (Date.now() < deadline) {
    const response = await fetch(`${base}/api/client/features`, {
      headers: { Authorization: clientToken },
      signal: AbortSignal.timeout(5000),
    }).catch((error: unknown) => error as Error);
    if (!(response instanceof Error) && response.ok) {
      const body = (await response.json()) as { features: ClientFeature[] };
      const feature = body.features.find((candidate) => candidate.name === name);
      if (feature && check(feature)) return;
      last = JSON.stringify(feature ?? null);
    }
    await delay(100);
  }
  throw new Error(`${name}: change not visible on the client API within ${VISIBLE_TIMEOUT_MS} ms; last: ${last}`);
}

async function waitForHealth(base: string, child: ChildProcess, output: string[]): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`unleash exited (${child.exitCode ?? child.signalCode}) before it was healthy:\n${output.join('')}`);
    }
    const healthy = await fetch(`${base}/health`, { signal: AbortSignal.timeout(2000) }).then(
      (response) => response.ok,
      () => false,
    );
    if (healthy) return;
    await delay(250);
  }
  throw new Error(`unleash not healthy within ${READY_TIMEOUT_MS} ms:\n${output.join('')}`);
}

/** SIGTERM, then SIGKILL after 10 s; resolves when the child is gone. */
async function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Binds port 0 to learn a free port. Another process could take it before Unleash binds; rare on loopback. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no port'))));
    });
  });
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ ...PG, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
