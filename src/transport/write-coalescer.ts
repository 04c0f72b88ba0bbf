import type { Duplex } from 'node:stream';

/**
 * Past this many bytes held on one socket in one turn, they are let go at
 * once: a long burst (a batch of events) must not sit in user space where
 * the kernel could already be sending it, nor swell `bufferedAmount` past
 * what the backpressure policy would have seen without coalescing.
 */
const FLUSH_AT = 64 * 1024;

// Sockets written to in this turn of the event loop, and the ones of them now corked.
let written = new Set<Duplex>();
let held = new Set<Duplex>();
let scheduled = false;

function endTurn(): void {
  scheduled = false;
  // Swapped first: a write made while uncorking belongs to a new turn.
  const corked = held;
  written = new Set();
  held = new Set();
  for (const socket of corked) socket.uncork();
}

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  queueMicrotask(endTurn);
}

/**
 * Call before each shared-frame write to `socket`. The first frame of a turn
 * of the event loop goes out at once (a lone event waits for nothing); from
 * the second one on, the socket is corked until the turn ends (a microtask),
 * so a burst of events published in one turn reaches each socket in one
 * system call, not one per event.
 */
export function beforeSharedWrite(socket: Duplex): void {
  if (!written.has(socket)) {
    schedule();
    written.add(socket);
    return;
  }
  if (!held.has(socket)) {
    socket.cork();
    held.add(socket);
  } else if (socket.writableLength >= FLUSH_AT) {
    socket.uncork();
    socket.cork();
  }
}

/**
 * Hold what is written to `socket` from now to the end of this turn (a
 * microtask), and send it together: for a writer that is about to write
 * several frames in a row (engine.io flushing its queue), one system call
 * instead of one per frame.
 */
export function holdUntilTurnEnds(socket: Duplex): void {
  if (held.has(socket)) return;
  schedule();
  written.add(socket);
  socket.cork();
  held.add(socket);
}
