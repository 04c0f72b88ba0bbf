import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { SwitchyardError } from '../errors/catalogue.js';
import { toClose } from '../errors/surfaces.js';
import { decideSend, type FrameKind } from './backpressure.js';
import type { Limits } from './limits.js';
import { MessageRateLimiter } from './rate-limit.js';
import type { SharedFrame } from './shared-frame.js';
import { beforeSharedWrite } from './write-coalescer.js';

/** What the socket reports. It never decides what a frame means. */
export interface LegacySocketCallbacks {
  onText(text: string): void;
  onClose(code: number, reason: string): void;
  /** Closed for not reading: the owner records it (metrics, logs). */
  onSlowConsumer(bufferedAmount: number): void;
  /** A frame over the message rate was dropped (`closed`: and the socket closed for flooding). */
  onRateLimited?(closed: boolean): void;
}

/**
 * A raw `ws` socket as the legacy side sees it: text frames out under a
 * backpressure policy, text frames in, close codes, and liveness by protocol
 * ping. Knows nothing about services (STYLE §2).
 */
export class LegacySocket {
  readonly #ws: WebSocket;
  // The TCP (or TLS) socket under `#ws`, as the upgrade handed it over: shared frames are written to it directly.
  readonly #raw: Duplex | undefined;
  readonly #limits: Limits;
  // Only this class writes it: set on pong, cleared on each liveness ping.
  #alive = true;
  #closed = false;

  /**
   * `raw` is the socket the upgrade was completed on (the one `ws` writes to);
   * without it every frame goes through `ws.send`.
   */
  constructor(ws: WebSocket, limits: Limits, callbacks: LegacySocketCallbacks, raw?: Duplex) {
    this.#ws = ws;
    this.#raw = raw;
    this.#limits = limits;
    const rate = new MessageRateLimiter(limits);
    ws.on('message', (data, isBinary) => {
      if (this.#closed) return;
      // Over the rate a frame is dropped unread; a client that keeps flooding is closed (retryable).
      const decision = rate.decide();
      if (decision !== 'accept') {
        callbacks.onRateLimited?.(decision === 'close');
        if (decision === 'close') {
          const { code, reason } = toClose(new SwitchyardError('RATE_LIMITED', `more than ${limits.messagesPerSecond} messages per second`));
          this.close(code, reason);
        }
        return;
      }
      // Legacy clients send text; a binary frame is decoded the same way and
      // left to the protocol layer to ignore.
      callbacks.onText(isBinary ? Buffer.from(data as Buffer).toString('utf8') : data.toString());
    });
    ws.on('pong', () => {
      this.#alive = true;
    });
    ws.on('close', (code, reason) => {
      this.#closed = true;
      callbacks.onClose(code, reason.toString());
    });
    // ws emits 'error' for protocol violations (it then closes, e.g. 1009 for
    // an oversized frame); the close callback reports the outcome.
    ws.on('error', () => {});
    this.#onSlow = callbacks.onSlowConsumer;
  }

  readonly #onSlow: (bufferedAmount: number) => void;

  get isOpen(): boolean {
    return !this.#closed && this.#ws.readyState === this.#ws.OPEN;
  }

  get bufferedAmount(): number {
    return this.#ws.bufferedAmount;
  }

  /** Send one text frame; returns false if it was dropped or the socket is gone. */
  send(text: string, kind: FrameKind = 'event'): boolean {
    if (!this.isOpen || !this.#admit(kind, this.#ws.bufferedAmount)) return false;
    this.#ws.send(text);
    return true;
  }

  /**
   * Send a frame shared with other sockets (a room event): its bytes, framed
   * once for all, are written to the raw socket, under the same backpressure
   * policy as `send`. Writes made in one turn of the event loop leave
   * together (one system call per socket for a burst of events).
   *
   * Order with `ws`'s own writes (pings, pongs, close) holds because both
   * write to the same stream, synchronously: `ws`'s Sender queues a frame
   * only while it compresses (perMessageDeflate is off here) or reads a Blob
   * (never sent here). Should it ever hold anything (`bufferedAmount` counts
   * the Sender's queue on top of the socket's), the frame goes through
   * `ws.send` behind it instead.
   */
  sendShared(frame: SharedFrame, kind: FrameKind = 'event'): boolean {
    if (!this.isOpen) return false;
    // Read once: it serves the policy and tells whether ws's Sender holds anything.
    const buffered = this.#ws.bufferedAmount;
    if (!this.#admit(kind, buffered)) return false;
    const raw = this.#raw;
    if (raw === undefined || raw.destroyed || buffered !== raw.writableLength) {
      this.#ws.send(frame.text);
      return true;
    }
    beforeSharedWrite(raw);
    raw.write(frame.wire);
    return true;
  }

  /** The outbound policy (backpressure.ts) for one frame on an open socket: true to send it. */
  #admit(kind: FrameKind, buffered: number): boolean {
    const decision = decideSend(buffered, kind, this.#limits);
    if (decision === 'drop') return false;
    if (decision === 'close') {
      this.#onSlow(buffered);
      const { code, reason } = toClose(new SwitchyardError('SLOW_CONSUMER', `more than ${this.#limits.legacyHardBuffer} bytes queued`));
      this.close(code, reason);
      return false;
    }
    return true;
  }

  close(code: number, reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#ws.close(code, reason);
    // A client that never answers the close (the legacy "orphaned socket") must
    // not hold the server: terminate after a grace period.
    setTimeout(() => this.#ws.terminate(), 5000).unref();
  }

  /**
   * Protocol-level liveness, as uvicorn did it (ping every 20 s): a socket that
   * did not answer the previous ping is terminated. Browsers answer pings even
   * for the orphaned sockets of the legacy client, so those stay.
   */
  livenessPing(): void {
    if (!this.isOpen) return;
    if (!this.#alive) {
      this.#ws.terminate();
      return;
    }
    this.#alive = false;
    this.#ws.ping();
  }
}
