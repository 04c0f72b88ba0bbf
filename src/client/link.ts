import { isRetryable, type FailureCode } from './codes.js';
import type { TransportKind } from './types.js';

/** One service event off a transport, before dedupe. */
export interface Incoming {
  event: string;
  payload: Record<string, unknown>;
  /** The room sequence number, when the frame or event carried one. */
  seq: number | undefined;
}

/** A link joined its room: what the join ack (Socket.IO) or `switchyard_resume` (legacy) said. */
export interface Ready {
  /** The room head the join is consistent with: snapshot events carry it, live events follow it. */
  head: number;
  /** true: the missed events were replayed; false: a fresh snapshot was sent; undefined: a first join (no `since`). */
  resumed: boolean | undefined;
  /** Which run of the room's sequence `head` belongs to; sent back with the next `since`. */
  epoch: string | undefined;
}

/** Why a link ended (or never became ready). */
export interface LinkEnd {
  code: FailureCode;
  retry: boolean;
  message: string;
  closeCode?: number;
  /** The server said which transport serves this client now. */
  hint?: TransportKind;
  /** The stage the server named with the hint. */
  stage?: string;
}

export function linkEnd(code: FailureCode, message: string, extra: Partial<LinkEnd> = {}): LinkEnd {
  return { code, message, retry: isRetryable(code), ...extra };
}

/** `open()` rejects with this. */
export class LinkEndError extends Error {
  constructor(readonly end: LinkEnd) {
    super(`${end.code}: ${end.message}`);
    this.name = 'LinkEndError';
  }
}

/** Where an activated link reports. */
export interface LinkSink {
  incoming(item: Incoming): void;
  /** A live stage notice: the server now serves this client on `to` (the link may stay open, or be closed by the server). */
  notice(to: TransportKind, stage: string): void;
  warning(code: FailureCode, message: string): void;
  end(end: LinkEnd): void;
}

/** One joined room on one transport, as the client's policy sees it. */
export interface Link {
  readonly kind: TransportKind;
  /** Connect and join (or resume); rejects with LinkEndError. Nothing is reported before `activate`. */
  open(): Promise<Ready>;
  /** Start reporting: everything buffered since `open` began is flushed to `sink` synchronously, in order. */
  activate(sink: LinkSink): void;
  /** An acknowledged client → server event (Socket.IO only). */
  request?(event: string, payload: unknown, timeoutMs: number): Promise<unknown>;
  close(): void;
}

type Buffered =
  | { type: 'incoming'; item: Incoming }
  | { type: 'notice'; to: TransportKind; stage: string }
  | { type: 'warning'; code: FailureCode; message: string }
  | { type: 'end'; end: LinkEnd };

/**
 * What both links share: everything a transport reports is held until the
 * client activates the link, so the client can decide (from `Ready`) how to
 * treat the join's snapshot before the first event reaches it, and no event
 * slips out between "joined" and "active". An end before `open()` settles
 * rejects it instead.
 */
export abstract class BufferedLink implements Link {
  abstract readonly kind: TransportKind;
  // Owned here: reports waiting for activation; undefined once active.
  #buffer: Buffered[] | undefined = [];
  #sink: LinkSink | undefined;
  #ended = false;
  #rejectOpen: ((end: LinkEnd) => void) | undefined;

  abstract open(): Promise<Ready>;
  abstract close(): void;

  activate(sink: LinkSink): void {
    const buffered = this.#buffer ?? [];
    this.#buffer = undefined;
    this.#sink = sink;
    for (const item of buffered) this.#forward(item);
  }

  /** Wrap the body of `open()`: an end reported while it runs rejects it. */
  protected guardOpen(body: () => Promise<Ready>): Promise<Ready> {
    return new Promise<Ready>((resolve, reject) => {
      this.#rejectOpen = (end) => reject(new LinkEndError(end));
      body().then(
        (ready) => {
          this.#rejectOpen = undefined;
          resolve(ready);
        },
        (error: unknown) => {
          this.#rejectOpen = undefined;
          reject(error);
        },
      );
    });
  }

  protected reportIncoming(item: Incoming): void {
    this.#report({ type: 'incoming', item });
  }

  protected reportNotice(to: TransportKind, stage: string): void {
    this.#report({ type: 'notice', to, stage });
  }

  protected reportWarning(code: FailureCode, message: string): void {
    this.#report({ type: 'warning', code, message });
  }

  /** The link is over; reported once. */
  protected reportEnd(end: LinkEnd): void {
    if (this.#ended) return;
    this.#ended = true;
    if (this.#rejectOpen) {
      const reject = this.#rejectOpen;
      this.#rejectOpen = undefined;
      this.close();
      reject(end);
      return;
    }
    this.#report({ type: 'end', end });
  }

  #report(item: Buffered): void {
    if (this.#buffer) this.#buffer.push(item);
    else this.#forward(item);
  }

  #forward(item: Buffered): void {
    const sink = this.#sink!;
    switch (item.type) {
      case 'incoming': return sink.incoming(item.item);
      case 'notice': return sink.notice(item.to, item.stage);
      case 'warning': return sink.warning(item.code, item.message);
      case 'end': return sink.end(item.end);
    }
  }
}
