/**
 * Unleash's flags across restarts and nodes, against a real Unleash 6:
 * - embedded: the flags Unleash delivered are kept in the state file, and a
 *   restart while Unleash is unreachable serves them (not the plans' stages),
 *   with /ready saying so;
 * - cluster: an Unleash change seen by one node (its poll, or a webhook
 *   refresh) reaches every node's clients at once; the audit trail has one
 *   entry for it; a restart of the whole cluster with Unleash unreachable
 *   serves the last flags from Redis.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io as ioClient, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileLastKnownStore } from '../../../src/flags/last-known.js';
import { OverrideFlagSource } from '../../../src/flags/override-flag-source.js';
import type { FlagLogger } from '../../../src/flags/plan-flag-source.js';
import type { Stage } from '../../../src/flags/stage.js';
import { UnleashFlagSource } from '../../../src/flags/unleash-flag-source.js';
import { perService, type ServiceId } from '../../../src/registry/contracts.js';
import { addressOnNode, CLUSTER_ADMIN_TOKEN, clusterServices, freePort, startCluster, type Cluster } from '../../support/cluster.js';
import { api, startServer, until } from '../../support/harness.js';
import { LegacyClient } from '../../support/legacy-client.js';
import { isPostgresAvailable, requireServices, startUnleash, type UnleashHarness } from '../../support/unleash-server.js';

const SERVICE = 'mcp-logs';
const FLAG = `switchyard.${SERVICE}`;
const DEFAULTS: Record<ServiceId, Stage> = perService((): Stage => 'legacy');
const admin = { authorization: `Bearer ${CLUSTER_ADMIN_TOKEN}` };
const SETUP_MS = 150_000;

const postgres = await isPostgresAvailable();
const clusterMissing = await clusterServices();
if (requireServices() && (!postgres || clusterMissing)) throw new Error(`needs PostgreSQL, nginx and Redis: ${clusterMissing ?? 'PostgreSQL not reachable'}`);
if (!postgres) console.warn('skipping the Unleash restart and cluster tests: PostgreSQL is not reachable at 127.0.0.1:5432');
else if (clusterMissing) console.warn(`skipping the Unleash cluster tests: ${clusterMissing}`);

/** A URL nothing listens on: Unleash down. */
async function refusingUrl(): Promise<string> {
  return `http://127.0.0.1:${await freePort()}/api`;
}

function spyLogger(): FlagLogger & { lines: string[] } {
  const lines: string[] = [];
  const record = (_details: object, message: string): void => {
    lines.push(message);
  };
  return { lines, info: record, warn: record, error: record };
}

describe.skipIf(!postgres)('Unleash flags across restarts and nodes (real Unleash 6)', () => {
  let unleash: UnleashHarness;
  let dir: string;
  beforeAll(async () => {
    unleash = await startUnleash();
    await unleash.createFlag(FLAG);
    await unleash.enable(FLAG);
    dir = await mkdtemp(join(tmpdir(), 'switchyard-state-'));
  }, SETUP_MS);
  afterAll(async () => {
    await unleash?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('embedded: a restart with Unleash unreachable serves the flags it last delivered, from the state file, and /ready says so', async () => {
    const stateFile = join(dir, 'state.json');
    const first = new UnleashFlagSource({ url: unleash.url, apiToken: unleash.clientToken, defaults: DEFAULTS, disableMetrics: true, lastKnown: new FileLastKnownStore(stateFile) });
    await first.start();
    expect(first.baseStage(SERVICE)).toBe('socketio');
    await until(async () => (await readFile(stateFile, 'utf8').catch(() => '')).includes(FLAG), 3000, 'state file written');
    await first.close();

    // Unleash unreachable now; without a saved copy the plan's stage would answer.
    const logger = spyLogger();
    const restarted = new OverrideFlagSource(new UnleashFlagSource({
      url: await refusingUrl(), defaults: DEFAULTS, disableMetrics: true, startTimeout: 500, logger, lastKnown: new FileLastKnownStore(stateFile),
    }));
    const server = await startServer({ services: [SERVICE], flags: restarted });
    try {
      await restarted.start();
      expect(restarted.baseStage(SERVICE)).toBe('socketio');
      expect(restarted.stageFor(SERVICE, { clientId: 'any' })).toBe('socketio');
      const ready = await api(server.url, 'GET', '/ready');
      expect(ready).toMatchObject({
        status: 200,
        body: { ready: true, flags: { kind: 'unleash', healthy: false, lastKnown: { store: `state file ${stateFile}`, savedAt: expect.any(Number) } } },
      });
      expect(logger.lines).toContain('unleash unreachable at start: serving the last flags it delivered (degraded)');
      // The stage is served: a Socket.IO client of the service is admitted.
      const socket = await server.sio('/logs');
      expect(socket.connected).toBe(true);
    } finally {
      await server.close();
      await restarted.close();
    }

    // No saved copy: the plans' stages, as before.
    const bare = new UnleashFlagSource({ url: await refusingUrl(), defaults: DEFAULTS, disableMetrics: true, startTimeout: 300, lastKnown: new FileLastKnownStore(join(dir, 'none.json')) });
    await bare.start();
    expect(bare.baseStage(SERVICE)).toBe('legacy');
    expect(bare.status().lastKnown).toBeUndefined();
    await bare.close();
  }, 30_000);

  describe.skipIf(clusterMissing !== undefined)('cluster', () => {
    let cluster: Cluster;
    const legacy: LegacyClient[] = [];
    const sockets: Socket[] = [];
    beforeAll(async () => {
      // node1 polls every second; node2 and node3 only once a minute, so they
      // can only follow in time through node1's announcement.
      cluster = await startCluster({
        nodes: 3,
        args: ['--unleash-url', unleash.url],
        env: { UNLEASH_API_TOKEN: unleash.clientToken },
        nodeArgs: (index) => ['--unleash-refresh-ms', index === 0 ? '1000' : '60000'],
      });
    }, SETUP_MS);
    afterAll(async () => {
      for (const client of legacy) client.ws.terminate();
      for (const socket of sockets) socket.disconnect();
      await cluster?.stop();
    }, SETUP_MS);

    const stageOn = async (url: string): Promise<{ stage: Stage; source: string }> => {
      const res = await api(url, 'GET', '/api/admin/stages', undefined, admin);
      return (res.body as { services: Array<{ service: string; stage: Stage; source: string }> }).services.find((entry) => entry.service === SERVICE)!;
    };
    const auditOn = async (url: string): Promise<unknown[]> =>
      ((await api(url, 'GET', `/api/admin/audit?service=${SERVICE}`, undefined, admin)).body as { entries: unknown[] }).entries;

    it('an Unleash change polled by one node moves the clients of all three at once; one audit entry names that node', async () => {
      const wsBase = cluster.url.replace('http', 'ws');
      for (let i = 0; i < 3; i++) {
        legacy.push(await LegacyClient.connect(`${wsBase}/api/mcp/logs/stream?switchyard_notify=1`, { 'x-forwarded-for': addressOnNode(i, 3) }));
        const socket = ioClient(`${cluster.url}/logs`, { transports: ['websocket'], reconnection: false, forceNew: true, extraHeaders: { 'x-forwarded-for': addressOnNode(i, 3, 1) } });
        sockets.push(socket);
        await new Promise<void>((resolve, reject) => {
          socket.once('connect', () => resolve());
          socket.once('connect_error', reject);
        });
      }
      const switches = [
        ...legacy.map((client) => client.next((frame) => frame.includes('"switchyard_stage"'), 10_000).then(() => performance.now())),
        ...sockets.map((socket) => new Promise<number>((resolve) => socket.once('switchyard:stage', () => resolve(performance.now())))),
      ];
      await unleash.disable(FLAG);
      const times = await Promise.all(switches);
      const spreadMs = Math.max(...times) - Math.min(...times);
      console.log(`Unleash change: first to last of 6 clients on 3 nodes switched ${spreadMs.toFixed(1)} ms apart (node2/node3 poll once a minute)`);
      for (const node of cluster.nodes) {
        expect(await stageOn(node.url), node.id).toEqual(expect.objectContaining({ stage: 'legacy', source: 'unleash' }));
        expect(await auditOn(node.url), node.id).toEqual([expect.objectContaining({ from: 'socketio', to: 'legacy', source: 'unleash', actor: 'unleash', node: 'node1' })]);
      }
    }, 60_000);

    it('a webhook refresh on one node pulls the flags on every node', async () => {
      // Node1 polls every second too; the refresh must not wait for it: turn it on and refresh node3 at once.
      await unleash.enable(FLAG);
      const refreshed = await api(cluster.nodes[2]!.url, 'POST', '/api/admin/flags/refresh', undefined, admin);
      expect(refreshed.status).toBe(200);
      for (const node of cluster.nodes) await until(async () => (await stageOn(node.url)).stage === 'socketio', 1500, `${node.id} follows the refresh`);
      const entries = await auditOn(cluster.nodes[1]!.url);
      expect(entries).toHaveLength(2);
      expect(entries[1]).toEqual(expect.objectContaining({ from: 'legacy', to: 'socketio', source: 'unleash' }));
    }, 30_000);

    it('a restart of the whole cluster with Unleash unreachable serves the last flags from Redis', async () => {
      const prefix = cluster.prefix;
      await cluster.stop({ keepKeys: true });
      cluster = await startCluster({ nodes: 3, prefix, args: ['--unleash-url', await refusingUrl()] });
      for (const node of cluster.nodes) {
        expect(await stageOn(node.url), node.id).toEqual(expect.objectContaining({ stage: 'socketio', source: 'unleash' }));
        const ready = await api(node.url, 'GET', '/ready');
        expect(ready, node.id).toMatchObject({
          status: 200,
          body: { ready: true, redis: { status: 'up' }, flags: { healthy: false, lastKnown: { store: `redis key ${prefix}:flags:last-known` } } },
        });
        expect(node.log.some((line) => line.includes('serving the last flags it delivered')), `${node.id} logs it`).toBe(true);
      }
    }, SETUP_MS);
  });
});
