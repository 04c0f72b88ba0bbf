import { io, type Socket } from 'socket.io-client';

/**
 * Wire-level event maps: payloads are unknown until the client matches them
 * against a service's typed map; every client → server event is acknowledged.
 */
interface WireListenEvents {
  [event: string]: (payload: unknown) => void;
}
interface WireEmitEvents {
  [event: string]: (payload: unknown, ack: (result: unknown) => void) => void;
}

export interface SocketIoTransportOptions {
  /** Namespace URL, e.g. `http://host:8080/crawl`. */
  url: string;
  /** Engine path, e.g. `/socket.io/`. */
  path: string;
  /** Handshake `auth`: Switchyard reads `auth.clientId` as the rollout stickiness key. */
  auth: Record<string, string>;
  transports: ReadonlyArray<'websocket' | 'polling' | 'webtransport'>;
}

/** What the transport reports; it decides nothing (STYLE §2). */
export interface SocketIoCallbacks {
  /** Any event the server emits (service events and `switchyard:*` notices alike). */
  onEvent(event: string, payload: unknown): void;
  /** The open connection ended; `byServer` when the server disconnected it on purpose. */
  onClose(reason: string, byServer: boolean): void;
}

/** A refused or failed connect: `data` is the namespace middleware's `err.data` (e.g. `{code: 'SERVICE_ON_LEGACY', …}`). */
export class ConnectFailure extends Error {
  constructor(message: string, readonly data: unknown, readonly timedOut = false) {
    super(message);
    this.name = 'ConnectFailure';
  }
}

/** The ack did not arrive in time (the request may or may not have been processed). */
export class AckTimeout extends Error {
  constructor(event: string, timeoutMs: number) {
    super(`no ack for "${event}" within ${timeoutMs} ms`);
    this.name = 'AckTimeout';
  }
}

/**
 * One Socket.IO connection to one namespace. socket.io-client's own
 * reconnection is off: the client's policy alone decides when and where to
 * reconnect, so transport switching and backoff are one policy. `forceNew`
 * gives each attempt its own engine, so closing one never touches another.
 */
export class SocketIoTransport {
  readonly #socket: Socket<WireListenEvents, WireEmitEvents>;
  readonly #callbacks: SocketIoCallbacks;
  #closedByUs = false;
  // Settles a pending open() (close() during connect must not leave it waiting for its timeout).
  #settleOpen: ((error?: Error) => void) | undefined;

  constructor(options: SocketIoTransportOptions, callbacks: SocketIoCallbacks) {
    this.#callbacks = callbacks;
    this.#socket = io(options.url, {
      path: options.path,
      auth: options.auth,
      transports: [...options.transports],
      reconnection: false,
      forceNew: true,
      autoConnect: false,
    });
    this.#socket.onAny((event: string, payload: unknown) => callbacks.onEvent(event, payload));
  }

  /** Connect; rejects with ConnectFailure (refusal or network) or after `timeoutMs`. */
  open(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = this.#socket;
      const done = (error?: Error): void => {
        this.#settleOpen = undefined;
        clearTimeout(timer);
        socket.off('connect', onConnect);
        socket.off('connect_error', onError);
        if (error) {
          this.close();
          reject(error);
        } else resolve();
      };
      const onConnect = (): void => {
        socket.on('disconnect', (reason) => {
          if (!this.#closedByUs) this.#callbacks.onClose(reason, reason === 'io server disconnect');
        });
        done();
      };
      // `err.data` is whatever the namespace middleware attached; the client validates it.
      const onError = (error: Error & { data?: unknown }): void => done(new ConnectFailure(error.message, error.data));
      const timer = setTimeout(() => done(new ConnectFailure(`connect timeout after ${timeoutMs} ms`, undefined, true)), timeoutMs);
      socket.on('connect', onConnect);
      socket.on('connect_error', onError);
      this.#settleOpen = done;
      socket.connect();
    });
  }

  /** Emit with an acknowledgement; rejects with AckTimeout when none arrives within `timeoutMs`. */
  request(event: string, payload: unknown, timeoutMs: number): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.#socket.timeout(timeoutMs).emit(event, payload, (error: Error | null, result: unknown) => {
        if (error) reject(new AckTimeout(event, timeoutMs));
        else resolve(result);
      });
    });
  }

  /** Disconnect (idempotent); no `onClose` is reported for a close we asked for. */
  close(): void {
    this.#closedByUs = true;
    this.#socket.disconnect();
    this.#settleOpen?.(new ConnectFailure('closed by the client', undefined));
  }
}
