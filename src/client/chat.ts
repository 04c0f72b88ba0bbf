import { ERRORS, isErrorCode } from '../errors/catalogue.js';
import { SwitchyardClientError } from './codes.js';
import type { FetchLike } from './discovery.js';
import { newId } from './ids.js';
import type { Link } from './link.js';
import { Outbox } from './outbox.js';
import { record } from './records.js';
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
}

/**
 * Sends chat messages without losing or doubling them. Every message carries
 * a client-generated id and the server stores and broadcasts an id once,
 * whichever transport carried it. On Socket.IO: `send_message {session_id,
 * message, id}` with an ack timeout; on legacy: the legacy REST route with
 * the same `id`. Either is retried with the same id until acknowledged, also
 * across a transport switch. While offline, sends wait in the bounded
 * outbox, in order.
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
        else await this.#viaRest(entry.id, entry.payload);
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
    const { url, sessionId, fetch, ackTimeoutMs } = this.#options;
    const target = new URL(`/api/agent-chat/sessions/${encodeURIComponent(sessionId)}/messages`, url).toString();
    const body = JSON.stringify({ message: payload.message, ...(payload.context === undefined ? {} : { context: payload.context }), id });
    let response: Awaited<ReturnType<FetchLike>>;
    try {
      response = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    } catch {
      // Stored or not, the same id may go again: the server keeps it once. Pace the retry.
      await new Promise((resolve) => setTimeout(resolve, ackTimeoutMs));
      return;
    }
    const answer = record(await response.json().catch(() => undefined));
    if (response.ok) {
      this.#unanswered.delete(id);
      this.#outbox.settle(id, { id, duplicate: answer?.duplicate === true, transport: 'legacy' });
      return;
    }
    const error = record(answer?.error);
    const code = error?.code;
    const message = typeof error?.message === 'string' ? error.message : `POST ${target} answered ${response.status}`;
    if (response.status < 500 && isErrorCode(code) && !ERRORS[code].retry) {
      this.#outbox.fail(id, new SwitchyardClientError(code, message));
      return;
    }
    // 5xx or a retryable code: the same id again, paced.
    await new Promise((resolve) => setTimeout(resolve, ackTimeoutMs));
  }
}
