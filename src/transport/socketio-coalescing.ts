import type { Duplex } from 'node:stream';
import type { Socket } from 'socket.io';
import { holdUntilTurnEnds } from './write-coalescer.js';

type EngineSocket = Socket['conn'];

// Engine.io connections already watched (a connection serves every namespace its client joined).
const watched = new WeakSet<EngineSocket>();

/**
 * The TCP socket under a connection that opened straight on the websocket
 * transport: the one its upgrade request came on (`conn.request.socket`).
 * A connection that began with HTTP long-polling and upgraded has none here
 * (its request is a polling request, on another socket).
 */
function upgradeSocketOf(conn: EngineSocket): Duplex | undefined {
  const request = conn.request;
  return request.headers.upgrade?.toLowerCase() === 'websocket' ? request.socket : undefined;
}

/**
 * Engine.io sends one packet at once, and queues the packets that come while
 * that write is under way; it then flushes the queue as one frame per packet,
 * one system call each. When it flushes several, they are held until the
 * turn ends and leave in one system call. Frames and their order are
 * untouched: only when the kernel gets them changes, by a microtask.
 */
export function coalesceFlushes(socket: Socket): void {
  const conn = socket.conn;
  if (watched.has(conn)) return;
  watched.add(conn);
  const raw = upgradeSocketOf(conn);
  if (raw === undefined) return;
  conn.on('flush', (packets: readonly unknown[]) => {
    if (packets.length > 1 && conn.transport.name === 'websocket' && !raw.destroyed) holdUntilTurnEnds(raw);
  });
}
