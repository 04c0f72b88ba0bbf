import type { ProducerCall } from './scenarios.js';

/** One published marker: its number and when the request was sent (ms on the drill's clock). */
export interface Published {
  n: number;
  at: number;
}

/**
 * The drill's producer: calls the producer API like a backend would, one
 * request at a time per service (so the server sees them in order), each
 * carrying the next marker. Only markers whose request succeeded count as
 * published; a failed request is an error of the drill, not a loss.
 */
export class Producer {
  readonly published: Published[] = [];
  readonly errors: string[] = [];
  #next = 1;
  #running: Promise<void> | undefined;
  #stop = false;

  constructor(
    private readonly base: string,
    private readonly call: (marker: string) => ProducerCall,
    private readonly now: () => number,
    private readonly token: string | undefined,
  ) {}

  /** One producer call (setup or event); throws with the answer on failure. */
  static async send(base: string, call: ProducerCall, token: string | undefined): Promise<void> {
    const res = await fetch(base + call.path, {
      method: call.method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(call.body),
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) throw new Error(`${call.method} ${call.path} answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
    await res.body?.cancel().catch(() => {});
  }

  /** Publish one marker now; resolves with its number once the server accepted it. */
  async publishOne(): Promise<number | undefined> {
    const n = this.#next++;
    const at = this.now();
    try {
      await Producer.send(this.base, this.call(`m${n}`), this.token);
      this.published.push({ n, at });
      return n;
    } catch (error) {
      // Bounded: an unreachable server would otherwise fill memory with one message per tick.
      if (this.errors.length < 20) this.errors.push(`producer m${n}: ${(error as Error).message}`);
      return undefined;
    }
  }

  /** Publish steadily, `intervalMs` apart, until `stop()`. */
  start(intervalMs: number): void {
    this.#stop = false;
    this.#running = (async () => {
      while (!this.#stop) {
        const started = this.now();
        await this.publishOne();
        const wait = intervalMs - (this.now() - started);
        if (wait > 0 && !this.#stop) await new Promise((r) => setTimeout(r, wait));
      }
    })();
  }

  async stop(): Promise<void> {
    this.#stop = true;
    await this.#running;
  }

  /** The highest marker published so far (0 before the first). */
  get head(): number {
    return this.published.at(-1)?.n ?? 0;
  }
}
