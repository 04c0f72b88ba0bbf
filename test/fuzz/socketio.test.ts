/**
 * Fuzz surface (c): Socket.IO. Random event names (the services' own, names
 * of Object.prototype members, anything) with random arguments, with and
 * without acks, on every namespace through socket.io-client; and raw
 * engine.io/socket.io packet strings over a raw `ws` connection to
 * /socket.io/?EIO=4&transport=websocket.
 *
 * Properties: an event with an ack is answered in time with `{ok:true,…}` or
 * `{ok:false,error:{code,message}}` (a catalogue code, never INTERNAL); a raw
 * packet is handled (a WebSocket ping after it is answered) or the server
 * closes that connection (allowed); the server and the canaries stay healthy.
 */
import fc from 'fast-check';
import { io as ioClient, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ERRORS } from '../../src/errors/catalogue.js';
import { DRIVERS } from '../support/drivers.js';
import { fuzzSession, runFuzz, sendAndProbe, startFuzzServer, type FuzzServer } from './harness.js';
import { defectTest, defectTitle, isOpen } from './known-defects.js';

const SEED = 0x5eed_0003;
const TOTAL = 10_000;
const ANSWER_MS = 5000;

const NAMESPACES = DRIVERS.map((d) => d.namespace);
const SERVICE_EVENTS = [
  'join_crawl', 'leave_crawl', 'join_session', 'send_message', 'leave_session', 'join_project', 'leave_project',
  'subscribe_logs', 'unsubscribe_logs', 'join_execution', 'leave_execution', 'subscribe_progress', 'unsubscribe_progress',
  'subscribe_projects', 'subscribe_items', 'unsubscribe_items',
];
const PROTOTYPE_NAMES = ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', 'propertyIsEnumerable', 'toLocaleString', '__defineGetter__', '__lookupSetter__'];
/** socket.io-client refuses to emit these (they are its own events). */
const RESERVED = new Set(['connect', 'connect_error', 'disconnect', 'disconnecting', 'newListener', 'removeListener']);

const arg = fc.oneof(
  { weight: 6, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 3, arbitrary: fc.record({ progress_id: fc.jsonValue({ maxDepth: 1 }), session_id: fc.string(), project_id: fc.string(), execution_id: fc.string(), message: fc.jsonValue({ maxDepth: 1 }), id: fc.jsonValue({ maxDepth: 1 }), since: fc.jsonValue({ maxDepth: 1 }), epoch: fc.jsonValue({ maxDepth: 1 }) }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)) },
  { weight: 1, arbitrary: fc.integer({ min: 10_000, max: 200_000 }).map((n) => 'x'.repeat(n)) },
);
const eventName = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...SERVICE_EVENTS) },
  { weight: 2, arbitrary: fc.constantFrom(...PROTOTYPE_NAMES) },
  { weight: 3, arbitrary: fc.string({ maxLength: 30 }) },
).filter((name) => !RESERVED.has(name));
const emission = fc.record({ namespace: fc.constantFrom(...NAMESPACES), event: eventName, args: fc.array(arg, { maxLength: 3 }), ack: fc.boolean(), client: fc.nat({ max: 1 }) });
type Emission = typeof emission extends fc.Arbitrary<infer T> ? T : never;

/** A reply to an acked event: `{ok:true,…}`, or a catalogued error other than INTERNAL. Returns what is wrong. */
function ackProblem(reply: unknown): string | undefined {
  const r = reply as { ok?: unknown; error?: { code?: unknown; message?: unknown } } | null;
  if (r?.ok === true) return undefined;
  if (r?.ok !== false) return `ack is neither {ok:true} nor {ok:false}: ${JSON.stringify(reply)?.slice(0, 200)}`;
  const code = r.error?.code;
  if (typeof code !== 'string' || !Object.hasOwn(ERRORS, code) || typeof r.error?.message !== 'string') return `ack error not from the catalogue: ${JSON.stringify(reply).slice(0, 200)}`;
  if (code === 'INTERNAL') return `ack error INTERNAL (a handler threw): ${JSON.stringify(reply).slice(0, 200)}`;
  return undefined;
}

/** socket.io-client connections per namespace, replaced when the server drops one. */
class ClientPool {
  readonly #sockets = new Map<string, Socket>();
  readonly #connecting = new Map<string, Promise<Socket>>();
  constructor(private readonly server: FuzzServer) {}

  async get(namespace: string, client: number): Promise<Socket> {
    const key = `${namespace}#${client}`;
    const existing = this.#sockets.get(key);
    if (existing?.connected) return existing;
    // Inputs that need this client while it (re)connects wait for that one connect.
    const pending = this.#connecting.get(key);
    if (pending) return pending;
    existing?.disconnect();
    const connecting = this.#connect(namespace).finally(() => this.#connecting.delete(key));
    this.#connecting.set(key, connecting);
    const socket = await connecting;
    this.#sockets.set(key, socket);
    return socket;
  }

  #connect(namespace: string): Promise<Socket> {
    const socket = ioClient(this.server.url + namespace, { transports: ['websocket'], reconnection: false, forceNew: true });
    return new Promise<Socket>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.disconnect();
        reject(new Error(`connect ${namespace}: timeout`));
      }, ANSWER_MS);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(socket);
      });
      socket.once('connect_error', (error) => {
        clearTimeout(timer);
        reject(new Error(`connect ${namespace}: ${error.message}`));
      });
    });
  }

  close(): void {
    for (const socket of this.#sockets.values()) socket.disconnect();
  }
}

async function emitOne(pool: ClientPool, e: Emission): Promise<string | undefined> {
  const socket = await pool.get(e.namespace, e.client);
  if (!e.ack) {
    socket.emit(e.event, ...e.args);
    return undefined;
  }
  try {
    const reply: unknown = await socket.timeout(ANSWER_MS).emitWithAck(e.event, ...e.args);
    return ackProblem(reply);
  } catch (error) {
    // A too-large message makes engine.io close the connection: allowed, and then no ack can come.
    if (!socket.connected) return undefined;
    return `no ack within ${ANSWER_MS} ms (${(error as Error).message})`;
  }
}

const showEmission = (e: Emission): string => JSON.stringify(e, (_k, v: unknown) => (typeof v === 'string' && v.length > 200 ? `${v.slice(0, 40)}…(${v.length} chars)` : v));

// Raw engine.io (EIO=4) / socket.io packets: '4' is an engine.io message, then a socket.io packet type.
const nsp = fc.oneof(fc.constant(''), fc.constantFrom(...NAMESPACES).map((n) => `${n},`), fc.string({ maxLength: 12 }).map((n) => `/${n},`));
const rawPacket = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom('0', '1', '2', '3', '4', '5', '6', '7', 'x'), nsp, fc.option(fc.nat(), { nil: undefined }), fc.oneof(fc.json({ maxDepth: 3 }), fc.constant(''), fc.string({ maxLength: 30 })))
    .map(([type, n, id, payload]) => `4${type}${n}${id ?? ''}${payload}`) },
  { weight: 3, arbitrary: fc.tuple(nsp, fc.option(fc.nat(), { nil: undefined }), fc.oneof(fc.constantFrom(...SERVICE_EVENTS, ...PROTOTYPE_NAMES), fc.string({ maxLength: 20 })), fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }))
    .map(([n, id, event, args]) => `42${n}${id ?? ''}${JSON.stringify([event, ...args])}`) },
  { weight: 2, arbitrary: fc.constantFrom('2', '3', '2probe', '5', '6', '1', '40', '41', '4', '', '0', '451-["x",{"_placeholder":true,"num":0}]', '42["toString"]', '421["constructor",{}]') },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 100 }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 100 }).map((b) => Buffer.from(b)) },
);
type RawPacket = typeof rawPacket extends fc.Arbitrary<infer T> ? T : never;
const rawInput = fc.record({ slot: fc.nat(), packet: rawPacket });

interface RawSlot {
  ws?: WebSocket;
  queue: Promise<unknown>;
}

function openRaw(server: FuzzServer): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${server.wsUrl}/socket.io/?EIO=4&transport=websocket`, { perMessageDeflate: false });
    const timer = setTimeout(() => reject(new Error('raw engine.io connect: timeout')), ANSWER_MS);
    ws.on('error', () => {});
    ws.once('open', () => {
      clearTimeout(timer);
      resolve(ws);
    });
    ws.once('unexpected-response', (_req, res) => {
      clearTimeout(timer);
      reject(new Error(`raw engine.io connect refused: ${res.statusCode}`));
    });
  });
}

async function sendRaw(server: FuzzServer, slot: RawSlot, packet: RawPacket): Promise<string | undefined> {
  if (slot.ws?.readyState !== WebSocket.OPEN) slot.ws = await openRaw(server);
  const ws = slot.ws;
  const outcome = await sendAndProbe(ws, packet, ANSWER_MS);
  // Garbage may make the server close this connection; the canaries show the rest is unaffected.
  return outcome === 'timeout' ? `no pong and no close within ${ANSWER_MS} ms (wedged)` : undefined;
}

describe('fuzz: Socket.IO events and raw packets', () => {
  let session: Awaited<ReturnType<typeof fuzzSession>>;
  let clients: ClientPool;
  const rawSlots: RawSlot[] = Array.from({ length: 24 }, () => ({ queue: Promise.resolve() }));
  beforeAll(async () => {
    session = await fuzzSession();
    clients = new ClientPool(session.server);
  });
  afterAll(async () => {
    clients?.close();
    for (const slot of rawSlots) slot.ws?.terminate();
    await session?.close();
  });

  it(`${TOTAL} events on every namespace via socket.io-client: every ack answered from the catalogue (never INTERNAL); the server stays healthy`, async () => {
    const result = await runFuzz({
      name: 'socket.io events', server: session.server, seed: SEED, total: TOTAL, batchSize: 1000, concurrency: 16, deadlineMs: 100_000,
      arbitrary: emission.filter((e) => !(isOpen('socketio-prototype-event-no-ack') && PROTOTYPE_NAMES.includes(e.event))),
      execute: (e) => emitOne(clients, e),
      afterBatch: session.check,
      show: showEmission,
    });
    expect(result.count).toBe(TOTAL);
  }, 150_000);

  it(`${TOTAL} raw engine.io/socket.io packets: each handled or the connection closed; the server stays healthy`, async () => {
    const result = await runFuzz({
      name: 'socket.io raw packets', server: session.server, seed: SEED + 0x1000, total: TOTAL, batchSize: 2000, concurrency: rawSlots.length, deadlineMs: 100_000,
      arbitrary: rawInput,
      execute: ({ slot, packet }) => {
        const s = rawSlots[slot % rawSlots.length]!;
        const turn = s.queue.then(() => sendRaw(session.server, s, packet));
        s.queue = turn.catch(() => undefined);
        return turn;
      },
      afterBatch: session.check,
      show: ({ slot, packet }) => `raw slot ${slot % rawSlots.length}: ${typeof packet === 'string' ? JSON.stringify(packet.slice(0, 300)) : `<${packet.length} bytes ${packet.toString('hex').slice(0, 64)}>`}`,
    });
    expect(result.count).toBe(TOTAL);
  }, 150_000);

  defectTest('socketio-prototype-event-no-ack')(defectTitle('socketio-prototype-event-no-ack'), async () => {
    const server = await startFuzzServer();
    const pool = new ClientPool(server);
    try {
      await runFuzz({
        name: 'socket.io prototype event names', server, seed: SEED, total: 20, batchSize: 20, concurrency: 20, deadlineMs: 30_000,
        arbitrary: fc.record({ namespace: fc.constantFrom(...NAMESPACES), event: fc.constantFrom(...PROTOTYPE_NAMES), args: fc.array(arg, { maxLength: 2 }), ack: fc.constant(true), client: fc.nat({ max: 1 }) }),
        execute: (e) => emitOne(pool, e),
        show: showEmission,
      });
    } finally {
      pool.close();
      await server.close();
    }
  }, 60_000);
});
