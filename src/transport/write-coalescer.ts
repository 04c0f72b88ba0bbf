import type { Duplex } from 'node:stream';

/**
 * Past this many bytes held on one socket in one turn, they are let go at
 * once: a long burst (a batch of events) must not sit in user space where
 * the kernel could already be sending it, nor swell `bufferedAmount` past
 * what the backpressure policy would have seen without coalescing.
 */
const FLUSH_AT = 64 * 1024;

let held = new Set<Duplex>();

function releaseAll(): void {
  // Swapped first: a write made while uncorking starts a new turn's set.
  const sockets = held;
  held = new Set();
  for (const socket of sockets) socket.uncork();
}

/**
 * Hold the writes made to `socket` for the rest of this turn of the event
 * loop (cork), and release them together right after it (a microtask): a
 * burst of events published in one turn reaches each socket in one system
 * call, not one per event. A lone event leaves in the same tick it was
 * published, so nothing waits for a timer.
 */
export function holdWritesThisTurn(socket: Duplex): void {
  if (held.has(socket)) {
    if (socket.writableLength >= FLUSH_AT) {
      socket.uncork();
      socket.cork();
    }
    return;
  }
  socket.cork();
  held.add(socket);
  if (held.size === 1) queueMicrotask(releaseAll);
}
