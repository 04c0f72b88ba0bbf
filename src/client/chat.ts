import { ERRORS, isErrorCode } from '../errors/catalogue.js';
import { SwitchyardClientError } from './codes.js';
import type { FetchLike } from './discovery.js';
import { newId } from './ids.js';
import type { Link } from './link.js';
import { Outbox } from './outbox.js';
import type { TransportKind } from './types.js';

/** Options of one chat send. */
export interface ChatSendOptions {
  /** Idempotency id. Default: a random UUID. Reuse it to make an application-level retry safe. */
  id?: string;
  /** Passed to the agent as the legacy REST body's `context`. */
  context?: Record<string, unknown>;
}

/** A chat message the server acknowledged. */
export interface SentMessage {
  /** The message id (on Socket.IO the server's echo of ours). */
  id: string;
  /** The server had this id already (an earlier try got through): it was stored and broadcast once. */
  duplicate: boolean;
  /** Which transport delivered it. */
  transport: TransportKind;
}

interface ChatPayload {
  message: string;
  context: Record<string, unknown> | undefined;
}

export interface ChatSenderOptions {
  url: string;
  sessionId: string;
  ackTimeoutMs: number;
  outboxLimit: number;
  fetch: FetchLike;
  /** The client's current link, or undefined while offline. */
  link: () => Link | undefined;
  /** Whether the current link's join replayed every missed event (resumed), so an unseen echo means "not stored". */
  resumed: () => boolean;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
}

/**
 * Sends chat messages without losing or doubling them. On Socket.IO:
 * `send_message {session_id, message, id}` with an ack timeout, retried with
 * the same id until acknowledged (the server stores and broadcasts an id
 * once). On legacy: the legacy REST route, sent once: it takes no
 * idempotency id, so a failure after the request left is reported as
 * DELIVERY_UNKNOWN instead of risking a double post. While offline, sends
 * wait in the bounded outbox, in order.
 */
export class ChatSender {
  readonly #options: ChatSenderOptions;
  readonly #outbox: Outbox<ChatPayload, SentMessage>;
  // Ids sent on Socket.IO without an answer: stored or not, only their echo or a Socket.IO retry can tell.
  readonly #unanswered = new Set<string>();
  #draining = false;

  constructor(options: ChatSenderOptions) {
    this.#options = options;
    this.#outbox = new Outbox(options.outboxLimit);
  }

  get queued(): number {
    return this.#outbox.size;
  }

  send(message: string, options: ChatSendOptions = {}): Promise<SentMessage> {
    const sent = this.#outbox.enqueue(options.id ?? newId(), { message, context: options.context });
    void this.drain();
    return sent;
  }

  /**
   * A delivered `new_message`: its id settles a send whose ack was lost
   * (stored once, echo replayed on resume), whichever transport replayed it.
   */
  observe(payload: Readonly<Record<string, unknown>>, transport: TransportKind): void {
    const id = record(payload.message)?.id;
    if (typeof id !== 'string' || !this.#unanswered.delete(id)) return;
    this.#outbox.settle(id, { id, duplicate: false, transport });
  }

  /** Send what is queued while a link is up; called on every (re)connect. */
  async drain(): Promise<void> {
    if (this.#draining) return;
    this.#draining = true;
    try {
      for (let entry = this.#outbox.peek(), link = this.#options.link(); entry && link; entry = this.#outbox.peek(), link = this.#options.link()) {
        entry.attempts++;
        if (link.kind === 'socketio') await this.#viaSocketIo(link, entry.id, entry.payload);
        else if (!this.#unanswered.has(entry.id) || this.#options.resumed()) await this.#viaRest(entry.id, entry.payload);
        else {
          // Tried on Socket.IO, no echo, and the legacy join was a fresh snapshot: stored or not is unknowable.
          this.#unanswered.delete(entry.id);
          this.#outbox.fail(entry.id, new SwitchyardClientError('DELIVERY_UNKNOWN', 'sent on Socket.IO without an ack before a switch to legacy; not re-sent over REST'));
        }
      }
    } finally {
      this.#draining = false;
    }
  }

  /** Reject everything queued (client closed or failed). */
  failAll(error: SwitchyardClientError): void {
    this.#unanswered.clear();
    this.#outbox.failAll(error);
  }

  async #viaSocketIo(link: Link, id: string, payload: ChatPayload): Promise<void> {
    const { sessionId, ackTimeoutMs } = this.#options;
    const body: Record<string, unknown> = { session_id: sessionId, message: payload.message, id };
    if (payload.context !== undefined) body.context = payload.context;
    let ack: unknown;
    this.#unanswered.add(id);
    try {
      ack = await link.request!('send_message', body, ackTimeoutMs);
    } catch {
      // No ack in time (lost with the connection, or slow): the same id goes again on Socket.IO,
      // unless its echo shows up first (observe).
      return;
    }
    this.#unanswered.delete(id);
    const fields = record(ack);
    if (fields?.ok === true) {
      this.#outbox.settle(id, { id: typeof fields.id === 'string' ? fields.id : id, duplicate: fields.duplicate === true, transport: 'socketio' });
      return;
    }
    const error = record(fields?.error);
    const code = error?.code;
    const message = typeof error?.message === 'string' ? error.message : 'send_message refused';
    if (isErrorCode(code) && !ERRORS[code].retry) {
      this.#outbox.fail(id, new SwitchyardClientError(code, message));
      return;
    }
    // A retryable server error: pace the retry instead of spinning.
    await new Promise((resolve) => setTimeout(resolve, ackTimeoutMs));
  }

  async #viaRest(id: string, payload: ChatPayload): Promise<void> {
    const { url, sessionId, fetch } = this.#options;
    const target = new URL(`/api/agent-chat/sessions/${encodeURIComponent(sessionId)}/messages`, url).toString();
    // `id` is sent for the day the route honours it; today it is ignored (see the SDK report).
    const body = JSON.stringify({ message: payload.message, ...(payload.context === undefined ? {} : { context: payload.context }), id });
    let response: Awaited<ReturnType<FetchLike>>;
    try {
      response = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    } catch (cause) {
      this.#outbox.fail(id, new SwitchyardClientError('DELIVERY_UNKNOWN', `POST ${target} failed; the message may or may not be stored`, { cause }));
      return;
    }
    if (response.ok) {
      this.#outbox.settle(id, { id, duplicate: false, transport: 'legacy' });
      return;
    }
    const error = record(record(await response.json().catch(() => undefined))?.error);
    const code = error?.code;
    const message = typeof error?.message === 'string' ? error.message : `POST ${target} answered ${response.status}`;
    this.#outbox.fail(id, response.status < 500 && isErrorCode(code) ? new SwitchyardClientError(code, message) : new SwitchyardClientError('DELIVERY_UNKNOWN', message));
  }
}
