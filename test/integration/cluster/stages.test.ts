/**
 * Stages across three nodes (separate processes) behind nginx: a rollback
 * pressed on one node moves the clients of all three, the audit trail reads
 * the same from every node, an override outlives a restart of the whole
 * cluster, and a Redis outage refuses admin changes (503 STORE_UNAVAILABLE)
 * while every open connection stays, until Redis returns.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { io as ioClient, type Socket } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Stage } from '../../../src/flags/stage.js';
import { api, until } from '../../support/harness.js';
import { LegacyClient } from '../../support/legacy-client.js';
import { addressOnNode, CLUSTER_ADMIN_TOKEN, clusterServices, startCluster, startRedis, type Cluster, type PrivateRedis } from '../../support/cluster.js';

const SERVICE = 'mcp-logs';
const LEGACY_PATH = '/api/mcp/logs/stream';
const NAMESPACE = '/logs';
const admin = { authorization: `Bearer ${CLUSTER_ADMIN_TOKEN}` };
/** Generous: three processes start on a shared 2-core machine. */
const SETUP_MS = 90_000;
const SWITCH_WAIT_MS = 5000;

const missing = await clusterServices();
if (missing && process.env.SWITCHYARD_REQUIRE_SERVICES === '1') throw new Error(`cluster tests need nginx and Redis: ${missing}`);
if (missing) console.warn(`skipping the cluster tests: ${missing}`);

/** Client i's address: nginx's ip_hash puts clients 0, 1, 2, 3, … on node1, node2, node3, node1, … */
const address = (i: number): string => addressOnNode(i % 3, 3, Math.floor(i / 3));

interface Clients {
  legacy: LegacyClient[];
  sockets: Socket[];
  close(): void;
}

/** Legacy clients (notices on) and Socket.IO clients on both transports, all through nginx, spread by address. */
async function connectClients(cluster: Cluster, count: number): Promise<Clients> {
  const wsBase = cluster.url.replace('http', 'ws');
  const legacy: LegacyClient[] = [];
  const sockets: Socket[] = [];
  for (let i = 0; i < count; i++) {
    legacy.push(await LegacyClient.connect(`${wsBase}${LEGACY_PATH}?switchyard_notify=1`, { 'x-forwarded-for': address(i) }));
    const transports = i % 2 === 0 ? ['websocket'] : ['polling'];
    const socket = ioClient(cluster.url + NAMESPACE, {
      transports, reconnection: false, forceNew: true, extraHeaders: { 'x-forwarded-for': address(count + i) },
    });
    sockets.push(socket);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`socket.io client ${i} (${transports[0]}) did not connect`)), 10_000);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once('connect_error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }
  return {
    legacy, sockets,
    close() {
      for (const client of legacy) client.ws.terminate();
      for (const socket of sockets) socket.disconnect();
    },
  };
}

interface StagesBody {
  services: Array<{ service: string; stage: Stage; source: string; connections: { legacy: number; socketio: number } }>;
}

async function serviceOn(url: string): Promise<StagesBody['services'][number]> {
  const res = await api(url, 'GET', '/api/admin/stages', undefined, admin);
  expect(res.status).toBe(200);
  return (res.body as StagesBody).services.find((entry) => entry.service === SERVICE)!;
}

/** Resolves with the time from `since` to when every client learned of the switch. */
function allSwitched(clients: Clients, since: number): Promise<number> {
  const waits = [
    ...clients.legacy.map((client) => client.next((frame) => frame.includes('"switchyard_stage"'), SWITCH_WAIT_MS).then(() => performance.now() - since)),
    ...clients.sockets.map((socket) => new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('a Socket.IO client was not moved')), SWITCH_WAIT_MS);
      socket.once('switchyard:stage', () => {
        clearTimeout(timer);
        resolve(performance.now() - since);
      });
    })),
  ];
  return Promise.all(waits).then((times) => Math.max(...times));
}

describe.skipIf(missing !== undefined)('cluster mode: stages across three nodes behind nginx', () => {
  let cluster: Cluster;
  let clients: Clients | undefined;
  beforeAll(async () => {
    cluster = await startCluster({ nodes: 3, flags: { [SERVICE]: 'socketio' } });
  }, SETUP_MS);
  afterEach(() => {
    clients?.close();
    clients = undefined;
  });
  afterAll(async () => {
    await cluster?.stop();
  }, SETUP_MS);

  it('moves the clients of all three nodes on a rollback pressed on one, and every node shows one audit entry naming it', async () => {
    clients = await connectClients(cluster, 6);
    // Placed by address: every node serves two legacy and two Socket.IO clients (one WebSocket, one polling).
    const spread = await Promise.all(cluster.nodes.map((node) => serviceOn(node.url)));
    for (const [i, entry] of spread.entries()) {
      expect(entry, cluster.nodes[i]!.id).toMatchObject({ stage: 'socketio', connections: { legacy: 2, socketio: 2 } });
    }
    expect(spread.reduce((sum, entry) => sum + entry.connections.legacy, 0)).toBe(6);
    expect(spread.reduce((sum, entry) => sum + entry.connections.socketio, 0)).toBe(6);

    const started = performance.now();
    const switched = allSwitched(clients, started);
    const put = await api(cluster.nodes[0]!.url, 'PUT', `/api/admin/stages/${SERVICE}`, { stage: 'legacy' }, admin);
    expect(put).toMatchObject({ status: 200, body: { stage: 'legacy', source: 'override' } });
    const lastMs = await switched;
    console.log(`rollback on node1 reached the last of 12 clients on 3 nodes in ${lastMs.toFixed(1)} ms`);

    for (const node of cluster.nodes) {
      expect(await serviceOn(node.url), node.id).toMatchObject({ stage: 'legacy', source: 'override', connections: { socketio: 0 } });
      expect((await api(node.url, 'GET', '/api/admin/stages', undefined, admin)).body).toMatchObject({ node: node.id, redis: { status: 'up' } });
      const audit = await api(node.url, 'GET', `/api/admin/audit?service=${SERVICE}`, undefined, admin);
      expect(audit.status).toBe(200);
      expect((audit.body as { entries: unknown[] }).entries, `audit read from ${node.id}`).toEqual([
        expect.objectContaining({ service: SERVICE, from: 'socketio', to: 'legacy', source: 'override', actor: 'admin', node: 'node1' }),
      ]);
    }
  }, 60_000);

  it('keeps an override through a restart of every node, and a clear on another node is recorded under that node', async () => {
    // The previous test left mcp-logs overridden to legacy.
    for (let i = 0; i < cluster.nodes.length; i++) await cluster.stopNode(i);
    for (let i = 0; i < cluster.nodes.length; i++) await cluster.restart(i);
    await until(async () => (await api(cluster.url, 'GET', '/ready')).status === 200, 10_000, 'nginx answers /ready');
    for (const node of cluster.nodes) expect(await serviceOn(node.url), node.id).toMatchObject({ stage: 'legacy', source: 'override' });

    const cleared = await api(cluster.nodes[1]!.url, 'DELETE', `/api/admin/stages/${SERVICE}`, undefined, admin);
    expect(cleared).toMatchObject({ status: 200, body: { stage: 'socketio', source: 'file' } });
    for (const node of cluster.nodes) {
      await until(async () => (await serviceOn(node.url)).stage === 'socketio', 2000, `${node.id} follows the clear`);
      const audit = await api(node.url, 'GET', `/api/admin/audit?service=${SERVICE}`, undefined, admin);
      expect((audit.body as { entries: unknown[] }).entries, `audit read from ${node.id}`).toEqual([
        expect.objectContaining({ from: 'socketio', to: 'legacy', node: 'node1' }),
        expect.objectContaining({ from: 'legacy', to: 'socketio', node: 'node2', actor: 'admin' }),
      ]);
    }
  }, SETUP_MS);

  it('records a change of the flags file all three nodes read once, under the node that applied it first', async () => {
    const before = ((await api(cluster.url, 'GET', '/api/admin/audit', undefined, admin)).body as { entries: unknown[] }).entries.length;
    await writeFile(join(cluster.dir, 'flags.json'), JSON.stringify({ [SERVICE]: 'shadow' }));
    for (const node of cluster.nodes) await until(async () => (await serviceOn(node.url)).stage === 'shadow', 5000, `${node.id} reads the file`);
    const views = await Promise.all(cluster.nodes.map(async (node) => ((await api(node.url, 'GET', '/api/admin/audit', undefined, admin)).body as { entries: Array<Record<string, unknown>> }).entries));
    for (const entries of views) {
      expect(entries).toHaveLength(before + 1);
      expect(entries.at(-1)).toEqual(expect.objectContaining({ service: SERVICE, from: 'socketio', to: 'shadow', source: 'file', actor: 'file', node: expect.stringMatching(/^node[123]$/) }));
    }
    expect(new Set(views.map((entries) => JSON.stringify(entries.at(-1)))).size).toBe(1);
  }, 30_000);

  it('sends the clients of a killed node (kill -9) to another node, and takes them back once it is restarted', async () => {
    const onNode1 = { ...admin, 'x-forwarded-for': addressOnNode(0, 3) };
    const answering = async (): Promise<string> => ((await api(cluster.url, 'GET', '/api/admin/stages', undefined, onNode1)).body as { node: string }).node;
    expect(await answering()).toBe('node1');
    await cluster.kill(0);
    expect(cluster.nodes[0]!.running).toBe(false);
    expect(await answering()).toMatch(/^node[23]$/);
    await cluster.restart(0);
    await until(async () => (await answering()) === 'node1', 10_000, 'nginx sends node1\'s clients back to it');
  }, SETUP_MS);
});

describe.skipIf(missing !== undefined)('cluster mode: Redis lost for a while', () => {
  let redis: PrivateRedis;
  let cluster: Cluster;
  let clients: Clients | undefined;
  beforeAll(async () => {
    // Persistent, as a production Redis would be: what was stored is there again after a restart.
    redis = await startRedis({ persistent: true });
    cluster = await startCluster({ nodes: 3, redisUrl: redis.url, flags: { [SERVICE]: 'socketio' } });
  }, SETUP_MS);
  afterAll(async () => {
    clients?.close();
    await cluster?.stop();
    await redis?.close();
  }, SETUP_MS);

  it('refuses admin changes with 503 STORE_UNAVAILABLE, keeps every connection, reports it, and recovers when Redis returns', async () => {
    clients = await connectClients(cluster, 4);
    await redis.stop();

    for (const node of cluster.nodes) {
      await until(async () => (await api(node.url, 'GET', '/ready')).status === 503, 5000, `${node.id} reports Redis down`);
      const ready = await api(node.url, 'GET', '/ready');
      expect(ready.body, node.id).toMatchObject({ ready: false, redis: { status: 'down' } });
      const metrics = await api(node.url, 'GET', '/metrics');
      expect(metrics.body as string, node.id).toMatch(/^switchyard_redis_up 0$/m);
      // Liveness stays: nothing should restart the node.
      expect((await api(node.url, 'GET', '/health')).status).toBe(200);
    }
    const refused = await api(cluster.nodes[0]!.url, 'PUT', `/api/admin/stages/${SERVICE}`, { stage: 'legacy' }, admin);
    expect(refused).toMatchObject({ status: 503, body: { error: { code: 'STORE_UNAVAILABLE' } } });
    const refresh = await api(cluster.nodes[1]!.url, 'POST', '/api/admin/flags/refresh', undefined, admin);
    expect(refresh).toMatchObject({ status: 503, body: { error: { code: 'STORE_UNAVAILABLE' } } });
    // Nothing moved anywhere, and nobody was disconnected.
    for (const node of cluster.nodes) expect(await serviceOn(node.url), node.id).toMatchObject({ stage: 'socketio', source: 'file' });
    expect(clients.legacy.every((client) => client.closed === undefined)).toBe(true);
    expect(clients.sockets.every((socket) => socket.connected)).toBe(true);

    // A change that needs no Redis still applies (each node reads the flags file itself); its audit entry waits.
    await writeFile(join(cluster.dir, 'flags.json'), JSON.stringify({ [SERVICE]: 'shadow' }));
    for (const node of cluster.nodes) await until(async () => (await serviceOn(node.url)).stage === 'shadow', 5000, `${node.id} reads the file`);

    await redis.start();
    for (const node of cluster.nodes) {
      await until(async () => (await api(node.url, 'GET', '/ready')).status === 200, 10_000, `${node.id} ready again`);
      expect((await api(node.url, 'GET', '/metrics')).body as string, node.id).toMatch(/^switchyard_redis_up 1$/m);
    }
    // Re-subscribed: a change on one node reaches the (legacy) clients of all of them again.
    const started = performance.now();
    const switched = Promise.all(clients.legacy.map((client) => client.next((frame) => frame.includes('"switchyard_stage"'), SWITCH_WAIT_MS)));
    const put = await api(cluster.nodes[2]!.url, 'PUT', `/api/admin/stages/${SERVICE}`, { stage: 'socketio' }, admin);
    expect(put.status).toBe(200);
    await switched;
    console.log(`after Redis returned, a change on node3 reached the last of 4 legacy clients in ${(performance.now() - started).toFixed(1)} ms`);
    // The change made during the outage was recorded once when Redis returned, before the new one.
    for (const node of cluster.nodes) {
      const audit = await api(node.url, 'GET', `/api/admin/audit?service=${SERVICE}`, undefined, admin);
      expect((audit.body as { entries: unknown[] }).entries, `audit read from ${node.id}`).toEqual([
        expect.objectContaining({ from: 'socketio', to: 'shadow', source: 'file' }),
        expect.objectContaining({ from: 'shadow', to: 'socketio', source: 'override', node: 'node3' }),
      ]);
    }
  }, SETUP_MS);

  it('a node started while Redis is down exits with a clear message; started again once Redis is back, it loads the stored overrides', async () => {
    // The previous test left an override (socketio, by node3) over the flags file's shadow.
    await cluster.stopNode(0);
    await redis.stop();
    // The cluster's entities and room heads live in Redis: without them the node cannot serve, so it exits
    // (a process supervisor starts it again) instead of serving from nothing.
    await expect(cluster.restart(0)).rejects.toThrow(/exited \(1\) before listening[\s\S]*redis unreachable at start/);
    await redis.start();
    await cluster.restart(0);
    const node = cluster.nodes[0]!;
    await until(async () => (await api(node.url, 'GET', '/ready')).status === 200, 10_000, 'node1 ready once Redis is back');
    await until(async () => (await serviceOn(node.url)).source === 'override', 5000, 'node1 loads the stored override');
    for (const each of cluster.nodes) {
      await until(async () => (await api(each.url, 'GET', '/ready')).status === 200, 10_000, `${each.id} ready again`);
      expect(await serviceOn(each.url), each.id).toMatchObject({ stage: 'socketio', source: 'override' });
    }
  }, SETUP_MS);
});
