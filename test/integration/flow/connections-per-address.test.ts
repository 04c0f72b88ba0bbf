import type { IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import { io as ioClient, type Socket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../../support/harness.js';

let server: TestServer | undefined;
const extra: Array<{ close(): void }> = [];
afterEach(async () => {
  for (const c of extra.splice(0)) c.close();
  await server?.close();
  server = undefined;
});

const PATH = '/api/mcp/logs/stream';

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([promise, new Promise<T>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  })]).finally(() => clearTimeout(timer));
}

/** A legacy upgrade's outcome: open, or the refusal's status and JSON body. */
function legacyAttempt(url: string, headers: Record<string, string> = {}): Promise<{ ws: WebSocket } | { status: number; body: unknown }> {
  return withTimeout(new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => {
      extra.push({ close: () => ws.terminate() });
      resolve({ ws });
    });
    ws.once('unexpected-response', (_req, res: IncomingMessage) => {
      let text = '';
      res.on('data', (chunk: Buffer) => {
        text += chunk.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as unknown }));
    });
    ws.once('error', reject);
  }), 5000, 'legacy upgrade');
}

function sioAttempt(url: string, extraHeaders: Record<string, string> = {}): Promise<{ socket: Socket } | { error: Error & { data?: unknown } }> {
  const socket = ioClient(`${url}/logs`, { transports: ['websocket'], reconnection: false, forceNew: true, extraHeaders });
  extra.push({ close: () => socket.disconnect() });
  return withTimeout(new Promise((resolve) => {
    socket.once('connect', () => resolve({ socket }));
    socket.once('connect_error', (error) => resolve({ error }));
  }), 5000, 'socket.io connect');
}

describe('connections per remote address', () => {
  it('counts both transports together, refuses the next with TOO_MANY_CONNECTIONS, and frees a slot on close', async () => {
    server = await startServer({ services: ['mcp-logs'], limits: { connectionsPerAddress: 3 } });
    const first = await legacyAttempt(server.wsUrl + PATH);
    const second = await sioAttempt(server.url);
    const third = await legacyAttempt(server.wsUrl + PATH);
    expect('ws' in first && 'socket' in second && 'ws' in third).toBe(true);

    expect(await legacyAttempt(server.wsUrl + PATH)).toEqual({ status: 429, body: { error: { code: 'TOO_MANY_CONNECTIONS', message: expect.any(String) } } });
    const refused = await sioAttempt(server.url);
    expect('error' in refused && refused.error.data).toMatchObject({ code: 'TOO_MANY_CONNECTIONS' });

    // A closed connection gives its slot back.
    if (!('ws' in first)) throw new Error('first legacy connection did not open');
    const closed = new Promise((resolve) => first.ws.once('close', resolve));
    first.ws.close();
    await withTimeout(closed, 5000, 'legacy close');
    await withTimeout(new Promise<void>((resolve) => {
      const check = (): void => {
        if ([...server!.sy.legacySessions()].length === 1) resolve();
        else setTimeout(check, 10);
      };
      check();
    }), 5000, 'server to release the slot');
    expect('socket' in (await sioAttempt(server.url))).toBe(true);
  });

  it('trusts X-Forwarded-For only from a listed proxy', async () => {
    server = await startServer({ services: ['mcp-logs'], limits: { connectionsPerAddress: 1 }, trustedProxies: ['loopback'] });
    // Behind the trusted proxy (loopback), each forwarded client has its own count.
    expect('ws' in (await legacyAttempt(server.wsUrl + PATH, { 'x-forwarded-for': '203.0.113.1' }))).toBe(true);
    expect('ws' in (await legacyAttempt(server.wsUrl + PATH, { 'x-forwarded-for': '203.0.113.2' }))).toBe(true);
    expect(await legacyAttempt(server.wsUrl + PATH, { 'x-forwarded-for': '203.0.113.1' })).toMatchObject({ status: 429 });
    expect('socket' in (await sioAttempt(server.url, { 'x-forwarded-for': '203.0.113.3' }))).toBe(true);

    // Without trust the header is ignored: every client is the peer's address.
    await server.close();
    server = await startServer({ services: ['mcp-logs'], limits: { connectionsPerAddress: 1 } });
    expect('ws' in (await legacyAttempt(server.wsUrl + PATH, { 'x-forwarded-for': '203.0.113.1' }))).toBe(true);
    expect(await legacyAttempt(server.wsUrl + PATH, { 'x-forwarded-for': '203.0.113.2' })).toMatchObject({ status: 429 });
  });
});
