import { WebSocket } from 'ws';

/**
 * A raw `ws` client that records every text frame, so tests can wait for
 * "the next frame" (or the next one matching a predicate) with a deadline
 * instead of sleeping.
 */
export class LegacyClient {
  readonly ws: WebSocket;
  readonly frames: string[] = [];
  #cursor = 0;
  #waiters: Array<() => void> = [];
  closed: { code: number; reason: string } | undefined;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data) => {
      this.frames.push(data.toString());
      this.#wake();
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.#wake();
    });
    ws.on('error', () => {});
  }

  /** Connect; resolves on open, rejects with the HTTP status on a refused handshake. */
  static connect(url: string, headers: Record<string, string> = {}, timeoutMs = 5000): Promise<LegacyClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers });
      const client = new LegacyClient(ws);
      const timer = setTimeout(() => reject(new Error(`connect ${url}: timeout`)), timeoutMs);
      ws.once('open', () => {
        clearTimeout(timer);
        resolve(client);
      });
      ws.once('unexpected-response', (_req, res) => {
        clearTimeout(timer);
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => reject(Object.assign(new Error(`handshake refused: ${res.statusCode}`), { status: res.statusCode, body })));
      });
      ws.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  /** The next unread frame that satisfies `accept` (others before it are consumed). */
  async next(accept: (frame: string) => boolean = () => true, timeoutMs = 3000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.#cursor < this.frames.length) {
        const frame = this.frames[this.#cursor++]!;
        if (accept(frame)) return frame;
      }
      if (this.closed) throw new Error(`socket closed (${this.closed.code}) while waiting for a frame`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching frame within ${timeoutMs} ms; got: ${this.frames.slice(-5).join('\n')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The next frame that is not a heartbeat/ping (control frames are skipped). */
  nextEvent(timeoutMs = 3000): Promise<string> {
    return this.next((f) => !/^\{"type":"(heartbeat|ping|pong)"/.test(f), timeoutMs);
  }

  /** Parsed form of `nextEvent`. */
  async nextJson(timeoutMs = 3000): Promise<Record<string, unknown>> {
    return JSON.parse(await this.nextEvent(timeoutMs)) as Record<string, unknown>;
  }

  send(text: string): void {
    this.ws.send(text);
  }

  /** Wait until the server closes the socket. */
  async waitClose(timeoutMs = 3000): Promise<{ code: number; reason: string }> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('socket did not close in time');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.closed;
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}
