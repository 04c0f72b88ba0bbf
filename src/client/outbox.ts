import { SwitchyardClientError } from './codes.js';

/** One queued send. Only `Outbox` creates and removes entries; the sender only reads them and counts attempts. */
export interface OutboxEntry<Payload> {
  /** The idempotency id: the same on every retry, so the server stores the message once. */
  readonly id: string;
  readonly payload: Payload;
  /** How many times the sender has tried it so far. */
  attempts: number;
}

interface Pending<Payload, Result> {
  entry: OutboxEntry<Payload>;
  resolve: (result: Result) => void;
  reject: (error: SwitchyardClientError) => void;
}

/**
 * The bounded, ordered queue of messages a client must not lose (chat
 * `send_message`). A message stays queued until it is acknowledged or fails
 * for good, so messages sent while offline go out after the reconnect, in
 * order. Knows nothing about transports: the client's drain loop reads the
 * head and settles it.
 */
export class Outbox<Payload, Result> {
  readonly #limit: number;
  readonly #queue: Array<Pending<Payload, Result>> = [];

  /** @param limit Most messages waiting at once; more are refused with OUTBOX_FULL. */
  constructor(limit: number) {
    if (!(limit >= 1)) throw new RangeError(`outbox limit must be ≥ 1, got ${limit}`);
    this.#limit = limit;
  }

  get size(): number {
    return this.#queue.length;
  }

  /** Queue a message; the promise settles when it is acknowledged or fails for good. Duplicate ids are refused. */
  enqueue(id: string, payload: Payload): Promise<Result> {
    if (this.#queue.length >= this.#limit) {
      return Promise.reject(new SwitchyardClientError('OUTBOX_FULL', `outbox full (${this.#limit} messages waiting)`));
    }
    if (this.#queue.some((p) => p.entry.id === id)) {
      return Promise.reject(new RangeError(`message id ${id} is already queued`));
    }
    return new Promise<Result>((resolve, reject) => {
      this.#queue.push({ entry: { id, payload, attempts: 0 }, resolve, reject });
    });
  }

  /** The oldest unsettled message. */
  peek(): OutboxEntry<Payload> | undefined {
    return this.#queue[0]?.entry;
  }

  /** Acknowledged: resolve and remove. Unknown ids are ignored (settled already). */
  settle(id: string, result: Result): void {
    this.#take(id)?.resolve(result);
  }

  /** Failed for good: reject and remove. */
  fail(id: string, error: SwitchyardClientError): void {
    this.#take(id)?.reject(error);
  }

  /** Reject everything (client closed or failed). */
  failAll(error: SwitchyardClientError): void {
    const all = this.#queue.splice(0);
    for (const pending of all) pending.reject(error);
  }

  #take(id: string): Pending<Payload, Result> | undefined {
    const index = this.#queue.findIndex((p) => p.entry.id === id);
    return index === -1 ? undefined : this.#queue.splice(index, 1)[0];
  }
}
