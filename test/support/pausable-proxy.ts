import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A loopback TCP proxy whose server→client direction can be paused: the
 * proxy stops reading from the server, so the server's kernel buffer fills
 * and its writes pile up in the process, exactly as with a client that has
 * stopped reading. Client→server keeps flowing.
 */
export class PausableProxy {
  readonly #server: Server;
  readonly #pairs = new Set<{ client: Socket; upstream: Socket }>();
  #paused = false;

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(targetPort: number): Promise<PausableProxy> {
    const server = createServer();
    const proxy = new PausableProxy(server);
    server.on('connection', (client) => proxy.#pipe(client, targetPort));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  /** Stop reading what the server sends, on every current and future connection. */
  pause(): void {
    this.#paused = true;
    for (const { upstream } of this.#pairs) upstream.pause();
  }

  resume(): void {
    this.#paused = false;
    for (const { upstream } of this.#pairs) upstream.resume();
  }

  async close(): Promise<void> {
    for (const { client, upstream } of this.#pairs) {
      client.destroy();
      upstream.destroy();
    }
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #pipe(client: Socket, targetPort: number): void {
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
    const pair = { client, upstream };
    this.#pairs.add(pair);
    // Small receive buffers would be nicer; the kernel's default still fills in a few MB.
    upstream.on('data', (chunk) => client.write(chunk));
    client.on('data', (chunk) => upstream.write(chunk));
    const end = (): void => {
      this.#pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    upstream.on('close', end);
    client.on('close', end);
    upstream.on('error', end);
    client.on('error', end);
    if (this.#paused) upstream.pause();
  }
}
