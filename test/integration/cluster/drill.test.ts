/**
 * The cluster drill: three nodes as separate processes behind nginx, on a
 * private redis-server with every write fsynced (AOF `appendfsync always`),
 * clients of all seven services on both transports spread over the nodes.
 *
 * 1. Fan-out: producers post to random nodes; every raw legacy and raw
 *    Socket.IO client (WebSocket and long-polling) on every node sees every
 *    marker once, in order, with the same seq everywhere.
 * 2. `kill -9` of the node nginx sends this host to, during traffic and stage
 *    flips pressed on another node: SDK clients end at the head with no gap
 *    and no duplicate, acknowledged chat sends are stored once, the killed
 *    node's raw legacy clients reconnect (as an old frontend would) and get
 *    the on-connect snapshot of the state kept in Redis.
 * 3. Whole-cluster restart: entities, history and overrides are back, SDK
 *    clients resume (no resync).
 * 4. Redis stopped and started under traffic: 503 STORE_UNAVAILABLE for
 *    producers and admin writes, /ready 503, recovery by itself, every
 *    acknowledged producer post stored and delivered once.
 */
import { existsSync } from 'node:fs';
import { WebSocket } from 'ws';
import { io as ioClient, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type ServiceKey, type SwitchyardClient, type TransportKind } from '../../../src/client/index.js';
import type { HostedId } from '../../../src/registry/contracts.js';
import { api, until } from '../../support/harness.js';
import { LegacyClient } from '../../support/legacy-client.js';
import { DRIVERS, pickMarkers, type ServiceDriver } from '../../support/drivers.js';
import { addressOnNode, CLUSTER_ADMIN_TOKEN, clusterServices, REDIS_SERVER, startCluster, startRedis, type Cluster, type PrivateRedis } from '../../support/cluster.js';
import { sequenceGaps, summarize } from '../sdk/sdk-support.js';

const NODES = 3;
/** Three processes start on a shared 2-core machine. */
const SETUP_MS = 90_000;
const admin = { authorization: `Bearer ${CLUSTER_ADMIN_TOKEN}` };
const SESSION = (DRIVERS.find((d) => d.service === 'agent-chat')!.join[1] as { session_id: string }).session_id;
const CRAWL = (DRIVERS.find((d) => d.service === 'crawl-progress')!.join[1] as { progress_id: string }).progress_id;

// The drill stops Redis, so it runs its own redis-server (never the shared one).
const missing = (await clusterServices()) ?? (existsSync(REDIS_SERVER) ? undefined : `redis-server not installed (${REDIS_SERVER})`);
if (missing && process.env.SWITCHYARD_REQUIRE_SERVICES === '1') throw new Error(`cluster tests need nginx and Redis: ${missing}`);
if (missing) console.warn(`skipping the cluster drill: ${missing}`);

/** The node nginx's ip_hash gives a client without X-Forwarded-For (this host, 127.0.0.1): the SDK clients' node. */
function nodeOfThisHost(): number {
  let hash = 89;
  for (const octet of [127, 0, 0]) hash = (hash * 113 + octet) % 6271;
  return hash % NODES;
}

/** A raw client's markers (and, on Socket.IO, the seq of each). */
interface Seen {
  node: number;
  kind: 'legacy' | 'websocket' | 'polling';
  markers: string[];
  seqs: Map<string, number>;
}

interface RawClients {
  legacy: Array<{ driver: ServiceDriver; node: number; client: LegacyClient; seen: Seen }>;
  sockets: Array<{ driver: ServiceDriver; node: number; socket: Socket; seen: Seen }>;
}

/** Markers of the phase (`m<from>`..): older ones come back in join snapshots and replays. */
const inPhase = (from: number, to: number) => (marker: string): boolean => {
  const n = Number(marker.slice(1));
  return n >= from && n <= to;
};

function watchLegacy(driver: ServiceDriver, client: LegacyClient, seen: Seen): void {
  client.ws.on('message', (data) => {
    try {
      seen.markers.push(...pickMarkers(driver, JSON.parse(String(data)) as Record<string, unknown>));
    } catch {
      // a non-JSON frame (pong text) carries no marker
    }
  });
}

async function connectRaw(cluster: Cluster, drivers: readonly ServiceDriver[]): Promise<RawClients> {
  const wsBase = cluster.url.replace('http', 'ws');
  const raw: RawClients = { legacy: [], sockets: [] };
  let nth = 0;
  for (const driver of drivers) {
    for (let node = 0; node < NODES; node++) {
      const address = addressOnNode(node, NODES, nth++);
      const client = await LegacyClient.connect(`${wsBase}${driver.legacyPath}`, { 'x-forwarded-for': address });
      const seen: Seen = { node, kind: 'legacy', markers: [], seqs: new Map() };
      watchLegacy(driver, client, seen);
      raw.legacy.push({ driver, node, client, seen });
      for (const kind of ['websocket', 'polling'] as const) {
        const socket = ioClient(cluster.url + driver.namespace, {
          transports: [kind], reconnection: false, forceNew: true, extraHeaders: { 'x-forwarded-for': addressOnNode(node, NODES, nth++) },
        });
        const seen: Seen = { node, kind, markers: [], seqs: new Map() };
        socket.on(driver.event, (payload: Record<string, unknown>) => {
          for (const marker of pickMarkers(driver, payload)) {
            seen.markers.push(marker);
            if (typeof payload.seq === 'number') seen.seqs.set(marker, payload.seq);
          }
        });
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`${driver.service} ${kind} client on node ${node + 1} did not connect`)), 10_000);
          socket.once('connect', () => { clearTimeout(timer); resolve(); });
          socket.once('connect_error', (error) => { clearTimeout(timer); reject(error); });
        });
        const ack = await socket.timeout(5000).emitWithAck(driver.join[0], driver.join[1]) as { ok?: boolean };
        if (ack?.ok === false) throw new Error(`${driver.service} join refused: ${JSON.stringify(ack)}`);
        raw.sockets.push({ driver, node, socket, seen });
      }
    }
  }
  return raw;
}

interface SdkEntry {
  driver: ServiceDriver;
  /** Through nginx (lands on this host's node) or straight to a node. */
  via: string;
  client: SwitchyardClient<ServiceKey>;
}

/**
 * SDK clients, per service: two through nginx (one free to use Socket.IO, one
 * legacy only, so both transports), one straight to a node other than this
 * host's (a survivor of the kill).
 */
function connectSdk(cluster: Cluster, drivers: readonly ServiceDriver[]): SdkEntry[] {
  const host = nodeOfThisHost();
  const others = [0, 1, 2].filter((i) => i !== host);
  return drivers.flatMap((driver, i) => {
    const params = { ...Object.fromEntries(Object.entries(driver.join[1]).map(([k, v]) => [k, String(v)])), ...driver.extraParams };
    const make = (url: string, via: string, transports?: readonly TransportKind[]): SdkEntry => ({
      driver, via,
      client: connect({
        url, service: driver.service, params, WebSocketImpl: WebSocket, journal: true, backoff: { baseMs: 50, capMs: 500 },
        connectTimeoutMs: 3000, ackTimeoutMs: 2000, ...(transports ? { transports } : {}),
      } as Parameters<typeof connect<ServiceKey>>[0]) as SwitchyardClient<ServiceKey>,
    });
    const direct = others[i % others.length]!;
    return [
      make(cluster.url, 'nginx'),
      make(cluster.url, 'nginx/legacy', ['legacy']),
      make(cluster.nodes[direct]!.url, `node${direct + 1}`),
    ];
  });
}

/** Every SDK client connected, all clients of a room at one seq, contiguous, once, no resync or gap warning. */
async function sdkAtOneHead(entries: readonly SdkEntry[], timeoutMs: number): Promise<Map<HostedId, number>> {
  const byService = (service: HostedId): SdkEntry[] => entries.filter((e) => e.driver.service === service);
  const settled = (): boolean => DRIVERS.every((d) => {
    const group = byService(d.service);
    return group.every((e) => e.client.state.state === 'connected') && new Set(group.map((e) => e.client.lastSeq)).size === 1;
  });
  try {
    await until(settled, timeoutMs, 'SDK clients at one head');
  } catch {
    throw new Error(`SDK clients not at one head:\n${entries.map((e) => `${e.driver.service} ${e.via}: ${summarize(e.client)}`).join('\n')}`);
  }
  const heads = new Map<HostedId, number>();
  for (const e of entries) {
    const j = e.client.journal;
    const what = `${e.driver.service} via ${e.via}: ${summarize(e.client)}`;
    expect(sequenceGaps(j.received), what).toEqual([]);
    expect(j.resyncs, what).toEqual([]);
    expect(j.warnings.filter((w) => w.code === 'SEQUENCE_GAP' || w.code === 'FRAME_UNDECODABLE'), what).toEqual([]);
    heads.set(e.driver.service, e.client.lastSeq ?? 0);
  }
  return heads;
}

const randomOf = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)]!;
const markersFrom = (from: number, count: number): string[] => Array.from({ length: count }, (_, i) => `m${from + i}`);

describe.skipIf(missing !== undefined)('cluster drill: three nodes behind nginx, every service, both transports', () => {
  let redis: PrivateRedis;
  let cluster: Cluster;
  let sdk: SdkEntry[] = [];
  let raw: RawClients | undefined;
  const stored = new Map<string, number>();

  beforeAll(async () => {
    redis = await startRedis({ persistent: true });
    // Socket.IO for every service: raw Socket.IO clients are admitted, raw legacy ones are served through the adapter.
    cluster = await startCluster({ nodes: NODES, redisUrl: redis.url, flags: Object.fromEntries(DRIVERS.map((d) => [d.service, 'socketio'])) });
    for (const driver of DRIVERS) await driver.setup(cluster.url);
  }, SETUP_MS);
  afterAll(async () => {
    for (const e of sdk) e.client.close();
    for (const { client } of raw?.legacy ?? []) client.ws.terminate();
    for (const { socket } of raw?.sockets ?? []) socket.disconnect();
    await cluster?.stop();
    await redis?.close();
  }, SETUP_MS);

  it('delivers what producers post to random nodes to every client of every node once, in order, with one seq', async () => {
    raw = await connectRaw(cluster, DRIVERS);
    sdk = connectSdk(cluster, DRIVERS);
    await Promise.all(sdk.map((e) => e.client.whenConnected(20_000)));
    expect(new Set(sdk.map((e) => e.client.state.state === 'connected' && e.client.journal.transports.at(-1)?.to))).toEqual(new Set(['socketio', 'legacy']));

    const COUNT = 6;
    const want = markersFrom(1, COUNT);
    const targets = [cluster.url, ...cluster.nodes.map((node) => node.url)];
    // Each service's markers in order (one producer per entity), the services concurrently, each post to a random node.
    await Promise.all(DRIVERS.map(async (driver) => {
      for (const marker of want) await driver.produce(randomOf(targets), marker);
    }));

    const all = [...raw.legacy, ...raw.sockets];
    const phase = inPhase(1, COUNT);
    try {
      await until(() => all.every(({ seen }) => seen.markers.filter(phase).length >= COUNT), 10_000, 'every raw client got every marker');
    } catch {
      throw new Error(`raw clients missing markers: ${all.filter(({ seen }) => seen.markers.filter(phase).length < COUNT).map(({ driver, seen }) => `${driver.service} ${seen.kind} node${seen.node + 1}: ${seen.markers.join(',')}`).join('; ')}`);
    }
    for (const { driver, seen } of all) expect(seen.markers.filter(phase), `${driver.service} ${seen.kind} on node${seen.node + 1}`).toEqual(want);
    // One seq per event, whichever node delivered it.
    for (const driver of DRIVERS) {
      const views = raw.sockets.filter((s) => s.driver === driver).map(({ seen }) => JSON.stringify(want.map((m) => seen.seqs.get(m))));
      expect(new Set(views).size, `${driver.service}: seqs on the three nodes ${views.join(' / ')}`).toBe(1);
      const seqs = want.map((m) => raw!.sockets.find((s) => s.driver === driver)!.seen.seqs.get(m)!);
      expect(seqs.every((seq, i) => i === 0 || seq > seqs[i - 1]!), `${driver.service} seqs increase: ${seqs.join(',')}`).toBe(true);
    }
    const heads = await sdkAtOneHead(sdk, 10_000);
    console.log(`fan-out: ${all.length} raw clients (legacy, websocket, polling on 3 nodes) and ${sdk.length} SDK clients, 7 services × ${COUNT} events; heads ${JSON.stringify(Object.fromEntries(heads))}`);
    for (const { socket } of raw.sockets) socket.disconnect();
    raw.sockets = [];
  }, SETUP_MS);

  it('loses nothing when the node this host lands on is killed (kill -9) during traffic and stage flips', async () => {
    const killed = nodeOfThisHost();
    const survivors = [0, 1, 2].filter((i) => i !== killed).map((i) => cluster.nodes[i]!.url);
    const chats = sdk.filter((e) => e.driver.service === 'agent-chat') as unknown as Array<{ via: string; client: SwitchyardClient<'agent-chat'> }>;
    const sends: Array<{ text: string; result: Promise<{ ok: boolean }> }> = [];
    const ROUNDS = 12;
    const FIRST = 101;
    for (let round = 0; round < ROUNDS; round++) {
      const marker = `m${FIRST + round}`;
      if (round === 2) expect((await api(survivors[0]!, 'PUT', '/api/admin/stages/crawl-progress', { stage: 'legacy' }, admin)).status).toBe(200);
      if (round === 4) await cluster.kill(killed);
      if (round === 7) expect((await api(survivors[1]!, 'PUT', '/api/admin/stages/crawl-progress', { stage: 'socketio' }, admin)).status).toBe(200);
      if (round === 9) expect((await api(survivors[0]!, 'PUT', '/api/admin/stages/mcp-logs', { stage: 'legacy' }, admin)).status).toBe(200);
      // Chat sends before and after the kill, from clients on the killed node and on survivors: the SDK retries them with the same id.
      if (round % 3 === 0) {
        for (const [i, chat] of chats.entries()) {
          const text = `drill send ${round}.${i}`;
          sends.push({ text, result: chat.client.sendMessage(text).then(() => ({ ok: true }), () => ({ ok: false })) });
        }
      }
      await Promise.all(DRIVERS.map((driver) => driver.produce(randomOf(survivors), marker)));
    }
    const settled = await Promise.all(sends.map(async (send) => ({ ...send, ok: (await send.result).ok })));
    const acknowledged = settled.filter((send) => send.ok).map((send) => send.text);
    expect(acknowledged.length, 'most chat sends acknowledged').toBeGreaterThan(sends.length / 2);

    const heads = await sdkAtOneHead(sdk, 20_000);
    // The clients that were on the killed node moved to a survivor through nginx (one mid-switch may move by its switch instead).
    const moved = sdk.filter((e) => e.via.startsWith('nginx') && e.client.journal.states.some((s) => s.state === 'reconnecting')).length;
    expect(moved, 'SDK clients of the killed node that reconnected elsewhere').toBeGreaterThan(0);
    // Every acknowledged send is stored once, read on a survivor (and the same on the other).
    for (const url of survivors) {
      await until(async () => {
        const body = (await api(url, 'GET', `/api/producer/agent-chat/sessions/${SESSION}`)).body as { messages: Array<{ content: string }> };
        return acknowledged.every((text) => body.messages.some((m) => m.content === text));
      }, 5000, 'acknowledged sends stored');
      const { messages } = (await api(url, 'GET', `/api/producer/agent-chat/sessions/${SESSION}`)).body as { messages: Array<{ content: string }> };
      for (const text of acknowledged) expect(messages.filter((m) => m.content === text), text).toHaveLength(1);
      for (const send of settled) expect(messages.filter((m) => m.content === send.text).length, send.text).toBeLessThanOrEqual(1);
    }

    // The killed node's raw legacy clients lost their socket; they reconnect through nginx as an old frontend would.
    const orphans = raw!.legacy.filter((l) => l.node === killed);
    await until(() => orphans.every((l) => l.client.closed !== undefined), 5000, 'the killed node\'s legacy sockets closed');
    const wsBase = cluster.url.replace('http', 'ws');
    for (const orphan of orphans) {
      let again: LegacyClient | undefined;
      for (let attempt = 0; attempt < 20 && !again; attempt++) {
        again = await LegacyClient.connect(`${wsBase}${orphan.driver.legacyPath}`, { 'x-forwarded-for': addressOnNode(killed, NODES, 1000 + raw!.legacy.indexOf(orphan)) }, 2000).catch(() => undefined);
      }
      expect(again, `${orphan.driver.service}: a legacy client reconnects`).toBeDefined();
      const last = `m${FIRST + ROUNDS - 1}`;
      if (orphan.driver.service === 'crawl-progress' || orphan.driver.service === 'project-creation') {
        // The on-connect snapshot is the state in Redis: the latest log line is the last one produced.
        const frame = await again!.next((f) => pickMarkers(orphan.driver, JSON.parse(f) as Record<string, unknown>).length > 0, 5000);
        expect(pickMarkers(orphan.driver, JSON.parse(frame) as Record<string, unknown>), orphan.driver.service).toEqual([last]);
      }
      watchLegacy(orphan.driver, again!, orphan.seen);
      // And it follows live events from its new node.
      const next = `m${FIRST + ROUNDS + 50}`;
      await orphan.driver.produce(randomOf(survivors), next);
      await again!.next((f) => f.includes(`"${next}"`), 5000);
      orphan.client = again!;
    }
    // One more event per service after the reconnects: the SDK clients follow it too.
    const after = await sdkAtOneHead(sdk, 10_000);
    for (const driver of DRIVERS) {
      if (orphans.some((o) => o.driver === driver)) expect(after.get(driver.service), driver.service).toBeGreaterThan(heads.get(driver.service)!);
    }
    const chatBody = (await api(survivors[0]!, 'GET', `/api/producer/agent-chat/sessions/${SESSION}`)).body as { messages: unknown[] };
    stored.set('chat', chatBody.messages.length);
    console.log(`kill -9 of node${killed + 1}: ${moved} SDK clients reconnected through nginx; ${acknowledged.length}/${sends.length} chat sends acknowledged, each stored once; ${orphans.length} legacy clients reconnected; SDK heads ${JSON.stringify(Object.fromEntries(after))}`);
    await cluster.restart(killed);
  }, SETUP_MS);

  it('brings entities, history and overrides back after a restart of the whole cluster; SDK clients resume without a resync', async () => {
    for (const [i, node] of cluster.nodes.entries()) if (!node.running) await cluster.restart(i);
    const before = await sdkAtOneHead(sdk, 10_000);
    const reads = [`/api/producer/agent-chat/sessions/${SESSION}`, `/api/producer/crawl-progress/${CRAWL}`];
    const state = await Promise.all(reads.map(async (path) => (await api(cluster.nodes[0]!.url, 'GET', path)).body));
    for (let i = 0; i < NODES; i++) await cluster.stopNode(i);
    await until(() => sdk.every((e) => e.client.state.state !== 'connected'), 5000, 'SDK clients saw the cluster go');
    await Promise.all(cluster.nodes.map((_, i) => cluster.restart(i)));

    for (const node of cluster.nodes) {
      expect(await Promise.all(reads.map(async (path) => (await api(node.url, 'GET', path)).body)), node.id).toEqual(state);
      const stages = (await api(node.url, 'GET', '/api/admin/stages', undefined, admin)).body as { services: Array<{ service: string; stage: string; source: string }> };
      expect(stages.services.find((s) => s.service === 'mcp-logs'), node.id).toMatchObject({ stage: 'legacy', source: 'override' });
    }
    // The SDK clients resumed from their last seq (history and epochs kept): no resync, same heads.
    expect(await sdkAtOneHead(sdk, 20_000)).toEqual(before);
    // And the numbering continues where it was.
    const marker = 'm300';
    await Promise.all(DRIVERS.map((driver) => driver.produce(randomOf(cluster.nodes).url, marker)));
    const after = await sdkAtOneHead(sdk, 10_000);
    for (const driver of DRIVERS) expect(after.get(driver.service)!, driver.service).toBeGreaterThan(before.get(driver.service)!);
    for (const e of sdk) expect(e.client.journal.resyncs, `${e.driver.service} via ${e.via}`).toEqual([]);
    console.log(`whole-cluster restart: SDK clients resumed at ${JSON.stringify(Object.fromEntries(before))}, no resync`);
  }, SETUP_MS);

  it('answers 503 STORE_UNAVAILABLE while Redis is stopped, recovers by itself, and loses no acknowledged post', async () => {
    const base = 400;
    const acknowledged: string[] = [];
    const refused: string[] = [];
    let n = base;
    /** One mcp-logs post to a random node: acknowledged (2xx) or refused with the documented code. */
    const post = async (): Promise<void> => {
      const marker = `m${n++}`;
      const res = await api(randomOf(cluster.nodes).url, 'POST', '/api/producer/mcp-logs', { level: 'INFO', message: marker });
      if (res.status < 300) acknowledged.push(marker);
      else {
        expect(res, marker).toMatchObject({ status: 503, body: { error: { code: 'STORE_UNAVAILABLE' } } });
        refused.push(marker);
      }
    };
    const logsDriver = DRIVERS.find((d) => d.service === 'mcp-logs')!;
    const listeners = await Promise.all(cluster.nodes.map(async (node, i) => {
      const seen: Seen = { node: i, kind: 'legacy', markers: [], seqs: new Map() };
      const client = await LegacyClient.connect(`${node.url.replace('http', 'ws')}${logsDriver.legacyPath}`);
      watchLegacy(logsDriver, client, seen);
      return { client, seen };
    }));
    for (let i = 0; i < 5; i++) await post();
    await redis.stop();
    for (let i = 0; i < 5; i++) await post();
    for (const node of cluster.nodes) {
      await until(async () => (await api(node.url, 'GET', '/ready')).status === 503, 5000, `${node.id} unready`);
      expect((await api(node.url, 'GET', '/metrics')).body as string).toMatch(/^switchyard_redis_up 0$/m);
    }
    expect(await api(cluster.nodes[1]!.url, 'PUT', '/api/admin/stages/mcp-logs', { stage: 'socketio' }, admin)).toMatchObject({ status: 503, body: { error: { code: 'STORE_UNAVAILABLE' } } });
    expect(refused.length).toBeGreaterThan(0);
    await redis.start();
    // Traffic goes on until every node takes posts again (bounded).
    for (let i = 0; i < 200 && acknowledged.filter((m) => Number(m.slice(1)) >= n - 6).length < 6; i++) await post();
    for (const node of cluster.nodes) await until(async () => (await api(node.url, 'GET', '/ready')).status === 200, 10_000, `${node.id} ready again`);

    // Stored once, on every node, in one order.
    const views: string[][] = [];
    for (const node of cluster.nodes) {
      await until(async () => {
        const { logs } = (await api(node.url, 'GET', '/api/mcp/logs?limit=0')).body as { logs: Array<{ message: string }> };
        return acknowledged.every((m) => logs.some((log) => log.message === m));
      }, 5000, `${node.id} has every acknowledged entry`);
      const { logs } = (await api(node.url, 'GET', '/api/mcp/logs?limit=0')).body as { logs: Array<{ message: string }> };
      const mine = logs.map((log) => log.message).filter((m) => /^m\d+$/.test(m) && Number(m.slice(1)) >= base);
      for (const m of acknowledged) expect(mine.filter((x) => x === m), `${node.id} ${m}`).toHaveLength(1);
      views.push(mine);
    }
    expect(new Set(views.map((v) => JSON.stringify(v))).size).toBe(1);
    // Delivered once to the SDK clients (contiguous, no resync) and to every raw legacy mcp-logs client.
    await sdkAtOneHead(sdk, 15_000);
    for (const l of listeners) {
      await until(() => acknowledged.every((m) => l.seen.markers.includes(m)), 5000, `legacy mcp-logs client of node${l.seen.node + 1}`);
      for (const m of acknowledged) expect(l.seen.markers.filter((x) => x === m), m).toHaveLength(1);
      expect(l.client.closed, 'the legacy client stayed connected through the outage').toBeUndefined();
      l.client.ws.terminate();
    }
    console.log(`Redis outage: ${acknowledged.length} posts acknowledged (each stored and delivered once), ${refused.length} refused with 503 STORE_UNAVAILABLE`);
  }, SETUP_MS);
});
