/**
 * The part of the WebSocket API the legacy transport uses: the browser's
 * global `WebSocket` and the `ws` package's `WebSocket` both fit.
 */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open', listener: () => void): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  addEventListener(type: 'close', listener: (event: { code: number; reason: string }) => void): void;
  addEventListener(type: 'error', listener: () => void): void;
  /** `ws` only (Node): protocol-level events a browser's WebSocket hides. */
  on?(type: 'ping', listener: () => void): unknown;
}

/** A WebSocket constructor: `globalThis.WebSocket` in browsers, `WebSocket` from `ws` in Node 20. */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** What the transport reports; it decides nothing (STYLE §2). */
export interface LegacyCallbacks {
  /** One text frame. Binary frames never occur on these endpoints and are ignored. */
  onText(text: string): void;
  /** The socket closed after it had opened. */
  onClose(code: number, reason: string): void;
  /** A protocol ping from the server (only where the implementation shows them). */
  onPing?(): void;
}

/** The socket closed (or failed) before it opened: a refused handshake shows up as 1006 here. */
export class LegacyOpenFailure extends Error {
  constructor(readonly code: number, readonly reason: string) {
    super(`legacy WebSocket closed before open (${code}${reason ? `: ${reason}` : ''})`);
    this.name = 'LegacyOpenFailure';
  }
}

const OPEN = 1;
const CLOSING = 2;

/** One raw WebSocket to a legacy endpoint: frames and close codes in, nothing about services. */
export class LegacyTransport {
  readonly #socket: WebSocketLike;
  #opened = false;
  #closedByUs = false;
  #onOpenClose: ((code: number, reason: string) => void) | undefined;

  constructor(url: string, WebSocketImpl: WebSocketConstructor, callbacks: LegacyCallbacks) {
    this.#socket = new WebSocketImpl(url);
    this.#socket.addEventListener('message', (event) => {
      if (typeof event.data === 'string') callbacks.onText(event.data);
    });
    this.#socket.addEventListener('close', (event) => {
      if (!this.#opened) this.#onOpenClose?.(event.code, event.reason);
      else if (!this.#closedByUs) callbacks.onClose(event.code, event.reason);
    });
    // 'error' is always followed by 'close', which carries what we report.
    this.#socket.addEventListener('error', () => {});
    this.seesProtocolPings = typeof this.#socket.on === 'function';
    this.#socket.on?.('ping', () => callbacks.onPing?.());
  }

  /** Whether protocol pings are visible (`ws` in Node), so they can count as signs of life. */
  readonly seesProtocolPings: boolean;

  /** Send a text frame; ignored unless open (a liveness probe on a dying socket needs no error). */
  send(text: string): void {
    if (this.#socket.readyState !== OPEN) return;
    try {
      this.#socket.send(text);
    } catch {
      // Closing underneath us: the close event reports it.
    }
  }

  /** Resolves on open; rejects with LegacyOpenFailure on a close first, or after `timeoutMs`. */
  open(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#onOpenClose = undefined;
        this.close(1000, 'connect timeout');
        reject(new LegacyOpenFailure(1006, `connect timeout after ${timeoutMs} ms`));
      }, timeoutMs);
      this.#onOpenClose = (code, reason) => {
        clearTimeout(timer);
        reject(new LegacyOpenFailure(code, reason));
      };
      this.#socket.addEventListener('open', () => {
        clearTimeout(timer);
        this.#onOpenClose = undefined;
        if (this.#closedByUs) return;
        this.#opened = true;
        resolve();
      });
    });
  }

  get opened(): boolean {
    return this.#opened;
  }

  /** Close (idempotent); no `onClose` is reported for a close we asked for. */
  close(code = 1000, reason = ''): void {
    this.#closedByUs = true;
    if (this.#socket.readyState >= CLOSING) return;
    try {
      this.#socket.close(code, reason);
    } catch {
      // A socket still CONNECTING may throw in some implementations; it is abandoned either way.
    }
  }
}
