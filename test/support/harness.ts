import { pino } from 'pino';
import { io as ioClient, type Socket } from 'socket.io-client';
import { createSwitchyard, type Switchyard, type SwitchyardOptions } from '../../src/server/app.js';
import { LegacyClient } from './legacy-client.js';

export interface TestServer {
  sy: Switchyard;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** `ws://127.0.0.1:<port>` */
  wsUrl: string;
  legacy(path: string, headers?: Record<string, string>): Promise<LegacyClient>;
  /** A socket.io-client on a namespace, connected (rejects on connect_error). */
  sio(namespace: string, options?: Parameters<typeof ioClient>[1]): Promise<Socket>;
  close(): Promise<void>;
}

/** Where and how `startServer` listens. */
export interface ListenOptions {
  /** Loopback port; default 0 (ephemeral). A restart test passes the port of the server it replaces. */
  port?: number;
  /** Runs after the server is built and before it accepts connections (e.g. to publish events first). */
  beforeListen?: (sy: Switchyard) => void | Promise<void>;
}

/** Boot a real Switchyard on an ephemeral loopback port; `close()` ends it and every client it made. */
export async function startServer(options: SwitchyardOptions = {}, listen: ListenOptions = {}): Promise<TestServer> {
  const sy = await createSwitchyard({ logger: pino({ level: process.env.SWITCHYARD_TEST_LOG ?? 'silent' }), ...options });
  await listen.beforeListen?.(sy);
  const address = await sy.listen(listen.port ?? 0, '127.0.0.1');
  const url = `http://127.0.0.1:${address.port}`;
  const wsUrl = `ws://127.0.0.1:${address.port}`;
  const legacyClients: LegacyClient[] = [];
  const sioClients: Socket[] = [];
  return {
    sy, url, wsUrl,
    async legacy(path, headers) {
      const client = await LegacyClient.connect(wsUrl + path, headers);
      legacyClients.push(client);
      return client;
    },
    sio(namespace, opts) {
      const socket = ioClient(url + namespace, { transports: ['websocket'], reconnection: false, forceNew: true, ...opts });
      sioClients.push(socket);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`socket.io connect ${namespace}: timeout`)), 5000);
        socket.once('connect', () => {
          clearTimeout(timer);
          resolve(socket);
        });
        socket.once('connect_error', (error) => {
          clearTimeout(timer);
          reject(error);
        });
      });
    },
    async close() {
      for (const c of legacyClients) c.close();
      for (const s of sioClients) s.disconnect();
      await sy.close();
    },
  };
}

/** Wait for one Socket.IO event (first argument), with a deadline. */
export function nextEvent<T = Record<string, unknown>>(socket: Socket, event: string, timeoutMs = 3000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, handler);
      reject(new Error(`no "${event}" within ${timeoutMs} ms`));
    }, timeoutMs);
    const handler = (payload: T): void => {
      clearTimeout(timer);
      resolve(payload);
    };
    socket.once(event, handler);
  });
}

/** Records every event of the given names in arrival order, for order/gap checks. */
export function recordEvents(socket: Socket, events: readonly string[]): Array<{ event: string; payload: Record<string, unknown> }> {
  const log: Array<{ event: string; payload: Record<string, unknown> }> = [];
  for (const event of events) socket.on(event, (payload: Record<string, unknown>) => log.push({ event, payload }));
  return log;
}

/** Poll a condition until true, with a deadline (for state that has no event). */
export async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 3000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** JSON POST/PUT/DELETE against the REST API. */
export async function api(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown }> {
  const res = await fetch(base + path, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON (metrics, console page)
  }
  return { status: res.status, body: parsed };
}
