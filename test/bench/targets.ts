import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WebSocket } from 'ws';
import type { Target } from './protocol.js';

/**
 * The three servers the bench compares. Each publishes the same payload to one
 * crawl room; only the machinery in between differs:
 * - `switchyard`: `sy.hub.publish('crawl-progress', room, 'progress_update', payload)`
 *   (hub → legacy sessions and Socket.IO namespace `/crawl`);
 * - `ws`: a plain `ws` WebSocketServer, one Set of sockets per legacy path,
 *   `JSON.stringify` once per event, `send` to each (the same bytes as the
 *   legacy `crawl_progress` frame); and a plain `node:http` publish API with
 *   Switchyard's producer paths for crawl-progress (start, progress, batch):
 *   `JSON.parse` the body, merge it into the crawl's state, broadcast;
 * - `socketio`: a plain Socket.IO server, namespace `/crawl`, `join_crawl`
 *   with ack, `nsp.to(room).emit('progress_update', {...payload, seq})`.
 */
export interface BenchTarget {
  readonly port: number;
  publish(room: string, payload: Record<string, unknown>): void;
  close(): Promise<void>;
}

export const crawlRoom = (progressId: string): string => `crawl_${progressId}`;

export function startTarget(target: Target): Promise<BenchTarget> {
  switch (target) {
    case 'switchyard': return startSwitchyard();
    case 'ws': return startPlainWs();
    case 'socketio': return startPlainSocketIo();
  }
}

// Each server process imports only what its target needs (dynamic imports), so
// "RSS before connections" compares like with like.

async function startSwitchyard(): Promise<BenchTarget> {
  const [{ createSwitchyard }, { pino }] = await Promise.all([import('../../src/server/app.js'), import('pino')]);
  const sy = await createSwitchyard({ services: ['crawl-progress'], logger: pino({ level: 'silent' }),
    // Up to 1000 clients and a full-speed producer, all from 127.0.0.1: the per-address limits would measure themselves.
    limits: { connectionsPerAddress: 0, producerRequestsPerSecond: 0 } });
  const address = await sy.listen(0, '127.0.0.1');
  return {
    port: address.port,
    publish: (room, payload) => {
      sy.hub.publish('crawl-progress', room, 'progress_update', payload);
    },
    close: () => sy.close(),
  };
}

function listen(server: HttpServer): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeHttp(server: HttpServer): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => server.closeAllConnections(), 2000);
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** The request's body, parsed as JSON. */
function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch (error) {
        reject(error as Error);
      }
    });
    req.on('error', reject);
  });
}

const PRODUCER = /^\/api\/producer\/crawl-progress(?:\/([^/]+)\/progress)?$/;

/**
 * The least a plain server does to publish a crawl update over HTTP: parse,
 * keep the crawl's state (the same fields as Switchyard's tracker), answer it,
 * broadcast it. No validation, limits or history.
 */
function plainProducer(publish: (room: string, state: Record<string, unknown>) => void): (req: IncomingMessage, res: ServerResponse) => void {
  const states = new Map<string, Record<string, unknown>>();
  const update = (progressId: string, fields: Record<string, unknown>): Record<string, unknown> | undefined => {
    const previous = states.get(progressId);
    if (!previous) return undefined;
    const state = { ...previous, ...fields, updated_at: new Date().toISOString() };
    states.set(progressId, state);
    publish(crawlRoom(progressId), state);
    return state;
  };
  return (req, res) => {
    const url = req.url ?? '/';
    const match = PRODUCER.exec(url);
    if (req.method !== 'POST' || (!match && url !== '/api/producer/crawl-progress/batch')) {
      res.writeHead(404).end();
      return;
    }
    readJson(req).then((body) => {
      let answer: unknown;
      if (url.endsWith('/batch')) {
        const { updates } = body as { updates: Array<Record<string, unknown> & { progressId: string }> };
        answer = { results: updates.map(({ progressId, ...fields }) => ({ ok: update(progressId, fields) !== undefined, progressId })) };
      } else if (match?.[1] !== undefined) {
        answer = update(decodeURIComponent(match[1]), body as Record<string, unknown>);
      } else {
        const { progressId } = body as { progressId: string };
        const state = { status: 'starting', percentage: 0, start_time: new Date().toISOString(), logs: ['Starting crawl...'], progressId, currentUrl: '', totalPages: 0, processedPages: 0, eta: 'Calculating...' };
        states.set(progressId, state);
        answer = state;
      }
      if (answer === undefined) res.writeHead(404).end();
      else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    }, () => res.writeHead(400).end());
  };
}

async function startPlainWs(): Promise<BenchTarget> {
  const { WebSocketServer } = await import('ws');
  const rooms = new Map<string, Set<WebSocket>>();
  const broadcast = (room: string, payload: Record<string, unknown>): void => {
    const members = rooms.get(room);
    if (!members) return;
    const frame = JSON.stringify({ type: payload.status === 'completed' ? 'crawl_completed' : 'crawl_progress', data: payload });
    for (const ws of members) ws.send(frame);
  };
  const http = createServer(plainProducer(broadcast));
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false, maxPayload: 64 * 1024 });
  wss.on('connection', (ws, req) => {
    const progressId = decodeURIComponent((req.url ?? '/').split('?')[0]!.split('/').pop() ?? '');
    const room = crawlRoom(progressId);
    let members = rooms.get(room);
    if (!members) {
      members = new Set();
      rooms.set(room, members);
    }
    members.add(ws);
    ws.on('error', () => {});
    ws.on('close', () => {
      members.delete(ws);
      if (members.size === 0) rooms.delete(room);
    });
  });
  const port = await listen(http);
  return {
    port,
    publish: broadcast,
    async close() {
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await closeHttp(http);
    },
  };
}

async function startPlainSocketIo(): Promise<BenchTarget> {
  const { Server: SocketIoServer } = await import('socket.io');
  const http = createServer();
  const io = new SocketIoServer(http, { serveClient: false });
  const nsp = io.of('/crawl');
  const heads = new Map<string, number>();
  nsp.on('connection', (socket) => {
    socket.on('join_crawl', (payload: { progress_id?: unknown }, ack?: (result: unknown) => void) => {
      const room = crawlRoom(String(payload?.progress_id ?? ''));
      void socket.join(room);
      ack?.({ ok: true, room, seq: heads.get(room) ?? 0 });
    });
  });
  const port = await listen(http);
  return {
    port,
    publish: (room, payload) => {
      const seq = (heads.get(room) ?? 0) + 1;
      heads.set(room, seq);
      nsp.to(room).emit('progress_update', { ...payload, seq });
    },
    async close() {
      io.disconnectSockets(true);
      await io.close().catch(() => {});
      await closeHttp(http);
    },
  };
}
