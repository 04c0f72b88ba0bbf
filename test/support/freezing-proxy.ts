import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A loopback TCP proxy that can go silent the way a NAT or proxy does when it
 * drops a mapping: `freeze()` stops forwarding both ways on every open
 * connection, without closing either side. Connections made afterwards are
 * forwarded normally (a fresh mapping).
 */
export class FreezingProxy {
  readonly #server: Server;
  readonly #pairs = new Set<{ client: Socket; upstream: Socket; frozen: boolean }>();
  port = 0;
  /** Chunks forwarded from clients to the server (a client's frames, e.g. its liveness probes). */
  upstreamChunks = 0;

  private constructor(readonly targetPort: number) {
    this.#server = createServer((client) => {
      const upstream = connect(targetPort, '127.0.0.1');
      const pair = { client, upstream, frozen: false };
      this.#pairs.add(pair);
      client.on('data', (chunk) => {
        if (pair.frozen) return;
        this.upstreamChunks++;
        upstream.write(chunk);
      });
      upstream.on('data', (chunk) => {
        if (!pair.frozen) client.write(chunk);
      });
      const end = (): void => {
        // A frozen pair stays half-open: the far side must not learn anything.
        if (pair.frozen) return;
        client.destroy();
        upstream.destroy();
        this.#pairs.delete(pair);
      };
      client.on('close', end);
      upstream.on('close', end);
      client.on('error', () => {});
      upstream.on('error', () => {});
    });
  }

  static async start(targetPort: number): Promise<FreezingProxy> {
    const proxy = new FreezingProxy(targetPort);
    await new Promise<void>((resolve) => proxy.#server.listen(0, '127.0.0.1', resolve));
    proxy.port = (proxy.#server.address() as AddressInfo).port;
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Stop forwarding on every open connection; returns how many were frozen. */
  freeze(): number {
    let count = 0;
    for (const pair of this.#pairs) {
      if (!pair.frozen) count++;
      pair.frozen = true;
    }
    return count;
  }

  async close(): Promise<void> {
    for (const pair of this.#pairs) {
      pair.client.destroy();
      pair.upstream.destroy();
    }
    this.#pairs.clear();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}
