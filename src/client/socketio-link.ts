import { isErrorCode } from '../errors/catalogue.js';
import { isRetryable } from './codes.js';
import { record } from './records.js';
import { BufferedLink, LinkEndError, linkEnd, type LinkEnd, type Ready } from './link.js';
import { AckTimeout, ConnectFailure, SocketIoTransport } from './transports/socketio-transport.js';

export interface SocketIoLinkOptions {
  /** Namespace URL, e.g. `http://host:8080/crawl`. */
  url: string;
  path: string;
  clientId: string;
  /** Handshake `auth.token`, when the server authenticates clients. */
  token?: string | undefined;
  transports: ReadonlyArray<'websocket' | 'polling' | 'webtransport'>;
  joinEvent: string;
  joinPayload: Record<string, unknown>;
  /** Connect plus join must finish within this. */
  timeoutMs: number;
}

/** Switchyard's own Socket.IO events (not service events). */
const STAGE_NOTICE = 'switchyard:stage';
const REFUSED_NOTICE = 'switchyard:refused';

/** A refusal's `err.data` / notice payload → how the link ends. */
function endFromData(data: unknown, fallbackMessage: string): LinkEnd {
  const fields = record(data);
  const code = fields?.code;
  if (!isErrorCode(code)) return linkEnd('TRANSPORT_LOST', fallbackMessage);
  const stage = typeof fields?.stage === 'string' ? fields.stage : undefined;
  const message = typeof fields?.message === 'string' ? fields.message : fallbackMessage;
  // Both codes mean "this client is served on the legacy endpoint now" (fallback_url).
  const hint = code === 'SERVICE_ON_LEGACY' || code === 'STAGE_CHANGED' ? 'legacy' : undefined;
  return linkEnd(code, message, { hint, stage });
}

/**
 * The Socket.IO side: connect to the namespace with `auth.clientId`, join
 * with an ack (carrying `since` to resume), report room events and the
 * server's stage notices. Decides nothing: the client reads `Ready` and the
 * ends.
 */
export class SocketIoLink extends BufferedLink {
  readonly kind = 'socketio' as const;
  readonly #options: SocketIoLinkOptions;
  #transport: SocketIoTransport | undefined;
  // A stage notice arrived: the disconnect that follows is a switch, not a loss.
  #notice: LinkEnd | undefined;
  #closed = false;

  constructor(options: SocketIoLinkOptions) {
    super();
    this.#options = options;
  }

  open(): Promise<Ready> {
    return this.guardOpen(async () => {
      const { url, path, clientId, token, transports, joinEvent, joinPayload, timeoutMs } = this.#options;
      const started = Date.now();
      const auth: Record<string, string> = token ? { clientId, token } : { clientId };
      const transport = new SocketIoTransport({ url, path, auth, transports }, {
        onEvent: (event, payload) => this.#onEvent(event, payload),
        onClose: (reason, byServer) => this.reportEnd(this.#notice ?? linkEnd('TRANSPORT_LOST', `socket.io ${reason}${byServer ? ' (server)' : ''}`)),
      });
      this.#transport = transport;
      if (this.#closed) transport.close();
      try {
        await transport.open(timeoutMs);
      } catch (error) {
        const failure = error instanceof ConnectFailure ? error : new ConnectFailure(String(error), undefined);
        throw new LinkEndError(failure.timedOut ? linkEnd('CONNECT_TIMEOUT', failure.message) : endFromData(failure.data, failure.message));
      }
      let ack: unknown;
      try {
        ack = await transport.request(joinEvent, joinPayload, Math.max(1, timeoutMs - (Date.now() - started)));
      } catch (error) {
        transport.close();
        throw new LinkEndError(error instanceof AckTimeout ? linkEnd('CONNECT_TIMEOUT', error.message) : linkEnd('TRANSPORT_LOST', String(error)));
      }
      return this.#readAck(ack);
    });
  }

  request(event: string, payload: unknown, timeoutMs: number): Promise<unknown> {
    if (!this.#transport) return Promise.reject(new Error('not open'));
    return this.#transport.request(event, payload, timeoutMs);
  }

  close(): void {
    this.#closed = true;
    this.#transport?.close();
    // Settles a pending open() at once; once active, the client ignores ends of links it closed.
    this.reportEnd(linkEnd('CLIENT_CLOSED', 'link closed by the client'));
  }

  #readAck(ack: unknown): Ready {
    const fields = record(ack);
    if (fields?.ok === true && typeof fields.seq === 'number') {
      return {
        head: fields.seq,
        resumed: typeof fields.resumed === 'boolean' ? fields.resumed : undefined,
        epoch: typeof fields.epoch === 'string' ? fields.epoch : undefined,
      };
    }
    this.#transport?.close();
    const error = record(fields?.error);
    const code = error?.code;
    const message = typeof error?.message === 'string' ? error.message : `join refused: ${JSON.stringify(ack)}`;
    // An ok ack without `seq` is a server this SDK cannot resume with: treat like an uncatalogued refusal.
    throw new LinkEndError(isErrorCode(code) ? linkEnd(code, message) : linkEnd('CONNECTION_REFUSED', message));
  }

  #onEvent(event: string, payload: unknown): void {
    if (event === STAGE_NOTICE || event === REFUSED_NOTICE) {
      const end = endFromData(payload, event);
      // A retryable refusal (RATE_LIMITED, SLOW_CONSUMER) precedes a disconnect:
      // the end carries its code, and the client reconnects and resumes.
      if (end.hint === undefined) {
        if (isRetryable(end.code)) this.#notice = end;
        return;
      }
      this.#notice = end;
      // On STAGE_CHANGED the server disconnects right after; the end carries the hint.
      this.reportNotice(end.hint, end.stage ?? '');
      return;
    }
    const fields = record(payload);
    if (!fields) return;
    this.reportIncoming({ event, payload: fields, seq: typeof fields.seq === 'number' ? fields.seq : undefined });
  }
}
