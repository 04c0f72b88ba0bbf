import { afterEach, describe, expect, it } from 'vitest';
import type { Socket } from 'socket.io-client';
import { api, nextEvent, until, type TestServer } from '../../support/harness.js';
import type { LegacyClient } from '../../support/legacy-client.js';
import { deletePrefix, randomPrefix, redisForTests } from '../../support/redis.js';
import { startNode } from './nodes.js';

const withRedis = await redisForTests();
const ID = '5b1d7a52-3d8e-4a33-9d4f-0c1f2a6e9b11';
const ROOM = `crawl_${ID}`;

interface Update { seq: number; log: unknown; status: unknown }

/** Every progress_update a Socket.IO client receives, in arrival order. */
function record(socket: Socket): Update[] {
  const seen: Update[] = [];
  socket.on('progress_update', (p: { seq: number; logs: unknown[]; status: unknown }) => seen.push({ seq: p.seq, log: p.logs.at(-1), status: p.status }));
  return seen;
}

/** The last log line of each crawl_progress frame a legacy client received (its on-connect snapshot first). */
function legacyLogs(client: LegacyClient): unknown[] {
  return client.frames.map((f) => JSON.parse(f) as { type: string; data: { logs?: unknown[] } })
    .filter((f) => f.type === 'crawl_progress' || f.type === 'crawl_completed').map((f) => f.data.logs?.at(-1));
}

describe.skipIf(!withRedis)('cluster mode: the data plane over Redis, several nodes in one process', () => {
  const nodes: TestServer[] = [];
  const prefixes: string[] = [];
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((node) => node.close()));
    await Promise.all(prefixes.splice(0).map((prefix) => deletePrefix(prefix)));
  });
  const cluster = async (count: number): Promise<{ prefix: string; nodes: TestServer[] }> => {
    const prefix = randomPrefix();
    prefixes.push(prefix);
    const started: TestServer[] = [];
    for (let i = 0; i < count; i++) started.push(await startNode(prefix, `node-${i}`));
    nodes.push(...started);
    return { prefix, nodes: started };
  };

  it('delivers every update, posted concurrently to random nodes, once and in one order to every client on every node and transport', async () => {
    const { nodes: [a, b, c] } = await cluster(3);
    const all = [a!, b!, c!];
    expect((await api(a!.url, 'POST', '/api/producer/crawl-progress', { progressId: ID, currentUrl: 'https://docs.example.com/' })).status).toBe(201);
    const sockets: Array<{ node: number; seen: Update[] }> = [];
    const legacies: LegacyClient[] = [];
    for (const [i, node] of all.entries()) {
      // The entity is on every node: the legacy snapshot comes from the node's replica.
      const legacy = await node.legacy(`/api/crawl-progress/${ID}`);
      expect(JSON.parse(await legacy.nextEvent())).toMatchObject({ type: 'crawl_progress', data: { status: 'starting', progressId: ID } });
      legacies.push(legacy);
      const socket = await node.sio('/crawl');
      const seen = record(socket);
      expect(await socket.emitWithAck('join_crawl', { progress_id: ID })).toMatchObject({ ok: true, room: ROOM, seq: 1 });
      sockets.push({ node: i, seen });
    }
    const COUNT = 30;
    const answers = await Promise.all(Array.from({ length: COUNT }, (_, n) =>
      api(all[Math.floor(Math.random() * all.length)]!.url, 'POST', `/api/producer/crawl-progress/${ID}/progress`, { status: 'crawling', percentage: 1, log: `line ${n}` })));
    expect(answers.map((answer) => answer.status)).toEqual(Array(COUNT).fill(200));

    for (const { seen } of sockets) await until(() => seen.length === COUNT + 1, 5000, 'every update on every Socket.IO client');
    const reference = sockets[0]!.seen;
    // Snapshot at 1, then 2..31 without gap or repeat.
    expect(reference.map((u) => u.seq)).toEqual(Array.from({ length: COUNT + 1 }, (_, i) => i + 1));
    for (const { seen } of sockets) expect(seen).toEqual(reference);
    for (const legacy of legacies) await until(() => legacy.frames.length === COUNT + 1, 5000, 'every update on every legacy client');
    for (const legacy of legacies) expect(legacyLogs(legacy)).toEqual(reference.map((u) => u.log));
    // Concurrent producers on different nodes lost no update: every line is in the stored crawl, read from any node.
    const { body } = await api(c!.url, 'GET', `/api/producer/crawl-progress/${ID}`) as { body: { logs: string[] } };
    expect(new Set(body.logs.filter((line) => line.startsWith('line ')))).toEqual(new Set(Array.from({ length: COUNT }, (_, n) => `line ${n}`)));
  });

  it('a client of a node that stops resumes on another node from its last sequence, with nothing lost or repeated', async () => {
    const { prefix, nodes: [a, b] } = await cluster(2);
    await api(a!.url, 'POST', '/api/producer/crawl-progress', { progressId: ID });
    const first = await a!.sio('/crawl');
    const seen = record(first);
    const ack = await first.emitWithAck('join_crawl', { progress_id: ID }) as { seq: number; epoch: string };
    await api(b!.url, 'POST', `/api/producer/crawl-progress/${ID}/progress`, { status: 'crawling', percentage: 10, log: 'before' });
    await until(() => seen.length === 2, 3000, 'the update before the stop');
    const last = seen.at(-1)!.seq;
    // Node a goes away; the producer keeps posting to b meanwhile.
    nodes.splice(nodes.indexOf(a!), 1);
    await a!.close();
    for (let n = 0; n < 3; n++) await api(b!.url, 'POST', `/api/producer/crawl-progress/${ID}/progress`, { status: 'crawling', percentage: 20 + n, log: `during ${n}` });
    const second = await b!.sio('/crawl');
    const resumed = record(second);
    const reply = await second.emitWithAck('join_crawl', { progress_id: ID, since: last, epoch: ack.epoch });
    expect(reply).toMatchObject({ ok: true, resumed: true, replayed: 3, epoch: ack.epoch });
    await until(() => resumed.length === 3, 3000, 'the replayed updates');
    expect(resumed.map((u) => [u.seq, u.log])).toEqual([[3, 'during 0'], [4, 'during 1'], [5, 'during 2']]);

    // The node comes back (a restart): same head, same epoch, live updates reach its new clients.
    const restarted = await startNode(prefix, 'node-0');
    nodes.push(restarted);
    const third = await restarted.sio('/crawl');
    expect(await third.emitWithAck('join_crawl', { progress_id: ID, since: 5, epoch: ack.epoch })).toMatchObject({ ok: true, resumed: true, replayed: 0, seq: 5, epoch: ack.epoch });
    const live = nextEvent<{ seq: number }>(third, 'progress_update');
    await api(b!.url, 'POST', `/api/producer/crawl-progress/${ID}/progress`, { status: 'crawling', percentage: 50, log: 'after' });
    expect((await live).seq).toBe(6);
  });

  it('keeps entities, history and epochs across a restart of the whole cluster', async () => {
    const { prefix, nodes: [a, b] } = await cluster(2);
    await api(a!.url, 'POST', '/api/producer/crawl-progress', { progressId: ID, currentUrl: 'https://docs.example.com/' });
    await api(b!.url, 'POST', `/api/producer/crawl-progress/${ID}/progress`, { status: 'crawling', percentage: 40, log: 'page 1' });
    const socket = await a!.sio('/crawl');
    const ack = await socket.emitWithAck('join_crawl', { progress_id: ID }) as { seq: number; epoch: string };
    const before = (await api(b!.url, 'GET', `/api/producer/crawl-progress/${ID}`)).body;
    await Promise.all(nodes.splice(0).map((node) => node.close()));

    const again = await startNode(prefix, 'node-9');
    nodes.push(again);
    expect((await api(again.url, 'GET', `/api/producer/crawl-progress/${ID}`)).body).toEqual(before);
    // An unmodified legacy client gets its on-connect snapshot from the state kept in Redis.
    const legacy = await again.legacy(`/api/crawl-progress/${ID}`);
    expect(JSON.parse(await legacy.nextEvent())).toEqual({ type: 'crawl_progress', data: before });
    const resumed = await again.sio('/crawl');
    expect(await resumed.emitWithAck('join_crawl', { progress_id: ID, since: 1, epoch: ack.epoch })).toMatchObject({ ok: true, resumed: true, replayed: 1, seq: 2, epoch: ack.epoch });
  });

  it('stores a chat send exactly once whichever node takes it, and remembers its id across a whole-cluster restart', async () => {
    const { prefix, nodes: [a, b] } = await cluster(2);
    const SESSION = '9d0c7e55-1f0e-4d8e-9a3b-2c4f5e6a7b80';
    expect((await api(a!.url, 'POST', '/api/producer/agent-chat/sessions', { session_id: SESSION })).status).toBe(201);
    const watcher = await b!.sio('/chat');
    const messages: Array<{ seq: number; id: unknown }> = [];
    watcher.on('new_message', (p: { seq: number; message: { id: unknown } }) => messages.push({ seq: p.seq, id: p.message.id }));
    await watcher.emitWithAck('join_session', { session_id: SESSION });
    const sender = await a!.sio('/chat');
    await sender.emitWithAck('join_session', { session_id: SESSION });
    expect(await sender.emitWithAck('send_message', { session_id: SESSION, message: 'hello', id: 'm-1' })).toEqual({ ok: true, id: 'm-1' });
    // The client repeats its send through the other node (a reconnect): acknowledged as a duplicate, stored once.
    const retry = await b!.sio('/chat');
    await retry.emitWithAck('join_session', { session_id: SESSION });
    expect(await retry.emitWithAck('send_message', { session_id: SESSION, message: 'hello', id: 'm-1' })).toEqual({ ok: true, id: 'm-1', duplicate: true });
    await until(() => messages.length === 1, 3000, 'the message on the other node');
    expect(messages).toEqual([{ seq: 1, id: 'm-1' }]);

    await Promise.all(nodes.splice(0).map((node) => node.close()));
    const again = await startNode(prefix, 'node-5');
    nodes.push(again);
    const late = await again.sio('/chat');
    await late.emitWithAck('join_session', { session_id: SESSION });
    expect(await late.emitWithAck('send_message', { session_id: SESSION, message: 'hello', id: 'm-1' })).toEqual({ ok: true, id: 'm-1', duplicate: true });
    const { body } = await api(again.url, 'GET', `/api/producer/agent-chat/sessions/${SESSION}`) as { body: { messages: Array<{ id: string }> } };
    expect(body.messages.filter((m) => m.id === 'm-1')).toHaveLength(1);
  });
});
