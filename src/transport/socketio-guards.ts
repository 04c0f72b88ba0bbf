import type { Server as EngineServer, Socket as EngineSocket } from 'engine.io';
import type { Namespace, Socket } from 'socket.io';
import type { WebSocket } from 'ws';
import { SwitchyardError } from '../errors/catalogue.js';
import { toAckError, toConnectError } from '../errors/surfaces.js';
import type { AddressOf, ConnectionLimiter } from './connection-limiter.js';
import type { Limits } from './limits.js';
import { MessageRateLimiter } from './rate-limit.js';

/** What the guards report; the owner counts and logs. */
export interface SocketIoGuardEvents {
  onSlowConsumer(socket: Socket, queuedBytes: number): void;
  onRateLimited(socket: Socket, closed: boolean): void;
  onTooManyConnections(address: string): void;
}

export interface SocketIoGuardOptions {
  engine: EngineServer;
  namespaces: Iterable<Namespace>;
  limits: Pick<Limits, 'socketIoHardBuffer' | 'messagesPerSecond' | 'messageBurst' | 'floodCloseMs'>;
  connections: ConnectionLimiter;
  addressOf: AddressOf;
  events: SocketIoGuardEvents;
}

const REFUSED_NOTICE = 'switchyard:refused';

/**
 * Flow limits of the Socket.IO side: connections per address (counted per
 * engine.io connection, refused at the namespace with a `connect_error`
 * whose data.code is TOO_MANY_CONNECTIONS, so the SDK reads the catalogue
 * code), messages per second per socket, and bytes queued per client.
 */
export function guardSocketIo(options: SocketIoGuardOptions): void {
  const { engine, limits, connections, addressOf, events } = options;
  const refused = new WeakSet<EngineSocket>();
  const watched = new WeakSet<EngineSocket>();

  engine.on('connection', (conn: EngineSocket) => {
    const address = addressOf(conn.request);
    if (!connections.hold(address, conn)) {
      refused.add(conn);
      events.onTooManyConnections(address);
    }
  });

  for (const nsp of options.namespaces) {
    nsp.use((socket, next) => {
      if (!refused.has(socket.conn)) return next();
      next(toConnectError(new SwitchyardError('TOO_MANY_CONNECTIONS', 'too many connections from this address')));
      // After the refusal is queued: engine.io's close waits for it to flush.
      process.nextTick(() => socket.conn.close());
    });
    nsp.on('connection', (socket: Socket) => {
      limitMessages(socket, limits, events);
      if (watched.has(socket.conn)) return;
      watched.add(socket.conn);
      watchQueue(socket, limits.socketIoHardBuffer, events);
    });
  }
}

/**
 * Messages per second of one socket: over the rate the event gets an ack
 * error RATE_LIMITED and no handler runs; a socket that keeps flooding is
 * told (`switchyard:refused`) and disconnected.
 */
function limitMessages(socket: Socket, limits: SocketIoGuardOptions['limits'], events: SocketIoGuardEvents): void {
  if (limits.messagesPerSecond <= 0) return;
  const limiter = new MessageRateLimiter(limits);
  socket.use((packet, next) => {
    const decision = limiter.decide();
    if (decision === 'accept') return next();
    const error = new SwitchyardError('RATE_LIMITED', `more than ${limits.messagesPerSecond} messages per second`);
    const ack = packet.at(-1);
    if (typeof ack === 'function') (ack as (result: unknown) => void)(toAckError(error));
    events.onRateLimited(socket, decision === 'close');
    if (decision === 'close' && socket.connected) {
      socket.emit(REFUSED_NOTICE, toConnectError(error).data);
      socket.disconnect(true);
    }
  });
}

/** The byte size of an engine.io packet's payload (strings by length: cheap, near enough for a limit). */
function packetBytes(data: unknown): number {
  if (typeof data === 'string') return data.length;
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return data.byteLength;
  return 0;
}

/**
 * Bytes queued to one client: packets in engine.io's write buffer (they pile
 * up while the transport is not writable — a websocket whose last send has
 * not reached the kernel, a polling client that has not polled) plus, on
 * websocket, the ws socket's bufferedAmount. Checked on each packet engine.io
 * queues for this client (O(1): a running sum reset on every flush), so a
 * client that stops reading is cut as soon as it passes the limit instead of
 * at the ping timeout. A client that does not read cannot read a notice
 * either: it is terminated, and resumes by sequence when it reconnects.
 */
function watchQueue(socket: Socket, hardLimit: number, events: SocketIoGuardEvents): void {
  if (hardLimit <= 0) return;
  const conn = socket.conn;
  let pending = 0;
  let cut = false;
  conn.on('flush', () => {
    pending = 0;
  });
  conn.on('packetCreate', (packet: { data?: unknown }) => {
    if (cut) return;
    pending += packetBytes(packet.data);
    const queued = pending + websocketBuffered(conn);
    if (queued <= hardLimit) return;
    cut = true;
    events.onSlowConsumer(socket, queued);
    const ws = websocketOf(conn);
    // ws.close() would queue its close frame behind what the client is not
    // reading and hold it all for 30 s; engine.io's close would wait for a drain.
    if (ws) ws.terminate();
    else conn.close(true);
  });
}

/** The ws socket under engine.io's websocket transport (a private field: engine.io exposes no accessor). */
function websocketOf(conn: EngineSocket): WebSocket | undefined {
  const transport = conn.transport as unknown as { name: string; socket?: WebSocket };
  return transport.name === 'websocket' ? transport.socket : undefined;
}

function websocketBuffered(conn: EngineSocket): number {
  return websocketOf(conn)?.bufferedAmount ?? 0;
}
