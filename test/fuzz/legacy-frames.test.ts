/**
 * Fuzz surface (b): frames from legacy clients, on every legacy path (the
 * seven services and /api/projects/stream), to the hand-written legacy
 * handlers and to the adapter: random JSON, random text, binary frames, frames
 * near and over the 64 KiB limit, `{"type": …}` shapes and mutated examples
 * from ../shared/protocol/legacy-frames.json.
 *
 * Per frame: a WebSocket ping after it is answered (the frame was handled and
 * the socket still works), or the server closed the socket with a catalogue
 * close code other than 1011 (closing is allowed; a reconnect follows).
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ERRORS } from '../../src/errors/catalogue.js';
import { DRIVERS } from '../support/drivers.js';
import { fuzzSession, runFuzz, sendAndProbe } from './harness.js';

const SEED = 0x5eed_0002;
const TOTAL = 10_000;
const ANSWER_MS = 5000;
const FRAME_LIMIT = 64 * 1024;

/** Close codes a fuzzed frame may cause: the catalogue's, except INTERNAL's 1011 (a bug), and 1007 (invalid UTF-8). */
const ALLOWED_CLOSE = new Set<number>([...Object.values(ERRORS).map((e) => e.closeCode).filter((c) => c !== 1011), 1007]);

/** Every example frame in the wire reference, and every `type` it uses. */
function wireExamples(): { examples: Array<Record<string, unknown>>; types: string[] } {
  const file = new URL('../../../shared/protocol/legacy-frames.json', import.meta.url);
  const examples: Array<Record<string, unknown>> = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object') {
      const record = v as Record<string, unknown>;
      if (typeof record.type === 'string') examples.push(record);
      Object.values(record).forEach(walk);
    }
  };
  walk(JSON.parse(readFileSync(file, 'utf8')));
  const types = [...new Set(examples.map((e) => e.type as string))];
  return { examples, types };
}
const { examples, types } = wireExamples();

interface Slot {
  path: string;
  ws?: WebSocket;
  /** Close of the current socket, once it came. */
  closed?: { code: number; reason: string };
  /** The reconnect under way, shared by every input that needs this slot meanwhile. */
  connecting?: Promise<WebSocket>;
  /** Inputs on one socket go one at a time, so each pong or close belongs to one frame. */
  queue: Promise<unknown>;
}

/** Two sockets per legacy path and mode: legacy handlers (`fuzz-legacy-*` clients) and the adapter. */
function slots(): Slot[] {
  const paths = [...DRIVERS.map((d) => d.legacyPath), '/api/projects/stream'];
  const out: Slot[] = [];
  for (const path of paths) {
    const sep = path.includes('?') ? '&' : '?';
    for (let i = 0; i < 2; i++) {
      out.push({ path: `${path}${sep}client_id=fuzz-legacy-frames-${i}`, queue: Promise.resolve() });
      // The project list stream is legacy-only: its adapter twin would be the same handler.
      if (path !== '/api/projects/stream') out.push({ path: `${path}${sep}client_id=fuzz-adapter-${i}`, queue: Promise.resolve() });
    }
  }
  return out;
}

const jsonText = fc.oneof(
  { weight: 3, arbitrary: fc.json({ maxDepth: 4 }) },
  { weight: 4, arbitrary: fc.record({ type: fc.oneof(fc.constantFrom(...types), fc.string(), fc.jsonValue({ maxDepth: 2 })) }, { requiredKeys: [] })
    .chain((head) => fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 }).map((rest) => JSON.stringify({ ...head, ...rest }))) },
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom(...examples), fc.jsonValue({ maxDepth: 3 }), fc.nat()).map(([example, value, pick]) => {
    const keys = Object.keys(example);
    return JSON.stringify({ ...example, [keys[pick % keys.length]!]: value });
  }) },
);
const frame = fc.oneof(
  { weight: 10, arbitrary: jsonText.map((text) => ({ kind: 'text' as const, text })) },
  { weight: 4, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }).map((text) => ({ kind: 'text' as const, text })) },
  { weight: 2, arbitrary: fc.constantFrom('ping', 'pong', '{"type":"ping"}', '{"type":"heartbeat"}', '', 'null', '[]', '{', '"').map((text) => ({ kind: 'text' as const, text })) },
  { weight: 3, arbitrary: fc.uint8Array({ maxLength: 300 }).map((bytes) => ({ kind: 'binary' as const, bytes })) },
  { weight: 1, arbitrary: fc.integer({ min: FRAME_LIMIT - 2048, max: FRAME_LIMIT + 2048 }).map((size) => ({ kind: 'large' as const, size })) },
);
const input = fc.record({ slot: fc.nat(), frame });
type Input = typeof input extends fc.Arbitrary<infer T> ? T : never;

function open(wsUrl: string, slot: Slot): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl + slot.path, { perMessageDeflate: false });
    slot.ws = ws;
    slot.closed = undefined;
    const timer = setTimeout(() => reject(new Error(`connect ${slot.path}: timeout`)), ANSWER_MS);
    ws.on('error', () => {});
    ws.on('close', (code, reason) => (slot.closed = { code, reason: reason.toString() }));
    ws.once('open', () => {
      clearTimeout(timer);
      resolve(ws);
    });
    ws.once('unexpected-response', (_req, res) => {
      clearTimeout(timer);
      reject(new Error(`connect ${slot.path}: handshake refused ${res.statusCode}`));
    });
  });
}

/** Send one frame, then a protocol ping: the pong (frame handled) or a close with an allowed code. */
async function sendOne(wsUrl: string, slot: Slot, input: Input): Promise<string | undefined> {
  if (!(slot.ws?.readyState === WebSocket.OPEN)) {
    slot.connecting ??= open(wsUrl, slot).finally(() => (slot.connecting = undefined));
    await slot.connecting;
  }
  const ws = slot.ws!;
  const { frame } = input;
  const data = frame.kind === 'text' ? frame.text : frame.kind === 'binary' ? Buffer.from(frame.bytes) : 'x'.repeat(frame.size);
  const outcome = await sendAndProbe(ws, data, ANSWER_MS);
  if (outcome === 'timeout') return `no pong and no close within ${ANSWER_MS} ms (wedged)`;
  if (outcome === 'closed') {
    const code = slot.closed?.code ?? 0;
    if (frame.kind === 'large' && frame.size > FRAME_LIMIT && code === 1009) return undefined;
    if (!ALLOWED_CLOSE.has(code)) return `closed with ${code} ${JSON.stringify(slot.closed?.reason)} (not a catalogue close code, or INTERNAL)`;
  }
  return undefined;
}

const pool = slots();

const show = (i: Input): string => {
  const f = i.frame;
  const text = f.kind === 'text' ? JSON.stringify(f.text.length > 300 ? `${f.text.slice(0, 300)}…` : f.text) : f.kind === 'binary' ? `<${f.bytes.length} bytes: ${Buffer.from(f.bytes.slice(0, 32)).toString('hex')}…>` : `<text frame of ${f.size} bytes>`;
  return `${pool[i.slot % pool.length]!.path}: ${f.kind} ${text}`;
};


describe('fuzz: legacy frames on every legacy path', () => {
  let session: Awaited<ReturnType<typeof fuzzSession>>;
  beforeAll(async () => {
    session = await fuzzSession();
  });
  afterAll(async () => {
    for (const slot of pool) slot.ws?.terminate();
    await session?.close();
  });

  it(`${TOTAL} frames over ${pool.length} legacy sockets (legacy handlers and adapter): each handled or closed with a catalogue code; the server stays healthy`, async () => {
    const result = await runFuzz({
      name: 'legacy frames', server: session.server, seed: SEED, total: TOTAL, batchSize: 1000, concurrency: pool.length, deadlineMs: 100_000,
      arbitrary: input,
      execute: (i) => {
        const slot = pool[i.slot % pool.length]!;
        const turn = slot.queue.then(() => sendOne(session.server.wsUrl, slot, i));
        slot.queue = turn.catch(() => undefined);
        return turn;
      },
      afterBatch: session.check,
      show,
    });
    expect(result.count).toBe(TOTAL);
  }, 150_000);
});
