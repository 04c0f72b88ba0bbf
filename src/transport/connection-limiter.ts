import type { IncomingMessage } from 'node:http';
import proxyAddr from 'proxy-addr';

/**
 * The client's address as this server should see it. By default the TCP
 * peer; behind a load balancer every peer is the balancer, so an operator
 * lists the proxies whose `X-Forwarded-For` is trusted (addresses or CIDR
 * ranges, proxy-addr's syntax, e.g. `10.0.0.0/8`, `loopback`). A header from
 * any other peer is ignored: a client cannot pick its own address.
 */
export type AddressOf = (req: IncomingMessage) => string;

export function addressResolver(trustedProxies: readonly string[] = []): AddressOf {
  if (trustedProxies.length === 0) return (req) => req.socket.remoteAddress ?? 'unknown';
  const trust = proxyAddr.compile([...trustedProxies]);
  return (req) => proxyAddr(req, trust);
}

/**
 * Open connections per remote address, both transports together. `acquire`
 * counts one connection if the address holds fewer than the limit; the
 * caller releases it when the connection closes. The map holds only
 * addresses with an open connection.
 */
export class ConnectionLimiter {
  readonly #limit: number;
  readonly #open = new Map<string, number>();

  /** `limit` 0 = unlimited (still counted, for the numbers). */
  constructor(limit: number) {
    this.#limit = limit;
  }

  acquire(address: string): boolean {
    const count = this.#open.get(address) ?? 0;
    if (this.#limit > 0 && count >= this.#limit) return false;
    this.#open.set(address, count + 1);
    return true;
  }

  release(address: string): void {
    const count = this.#open.get(address) ?? 0;
    if (count <= 1) this.#open.delete(address);
    else this.#open.set(address, count - 1);
  }

  /** Open connections of one address. */
  count(address: string): number {
    return this.#open.get(address) ?? 0;
  }

  /**
   * Count `address` for as long as `closable` is open: acquire now, release
   * once on its 'close'. False (nothing counted) when the address is full.
   */
  hold(address: string, closable: { once(event: 'close', listener: () => void): unknown }): boolean {
    if (!this.acquire(address)) return false;
    closable.once('close', () => this.release(address));
    return true;
  }
}
