import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { io as ioClient } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { jwtVerifier } from '../../../src/auth/verifier.js';
import { LegacyClient } from '../../support/legacy-client.js';
import { api, startServer, type TestServer } from '../../support/harness.js';

const ID = 'a1b2c3d4-0000-4000-8000-00000000a001';
const CRAWL = `/api/crawl-progress/${ID}`;
const SECRET = 'test-secret-that-is-long-enough-for-hs256';

function hs256(claims: Record<string, unknown>, expiresIn = '5m', secret = SECRET): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime(expiresIn).sign(new TextEncoder().encode(secret));
}

/** A Socket.IO connect that resolves with the outcome instead of throwing. */
function sioOutcome(url: string, options: Parameters<typeof ioClient>[1]): Promise<{ connected: boolean; code?: unknown }> {
  const socket = ioClient(url, { transports: ['websocket'], reconnection: false, forceNew: true, ...options });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('socket.io: no outcome within 5 s')), 5000);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.disconnect();
      resolve({ connected: true });
    });
    socket.once('connect_error', (error: Error & { data?: { code?: unknown } }) => {
      clearTimeout(timer);
      socket.disconnect();
      resolve({ connected: false, code: error.data?.code ?? error.message });
    });
  });
}

describe('open by default, as the legacy backend was', () => {
  let server: TestServer;
  afterEach(() => server.close());

  it('takes producer calls, legacy sockets and Socket.IO clients without any credential', async () => {
    server = await startServer({ services: ['crawl-progress'] });
    expect((await api(server.url, 'POST', '/api/producer/crawl-progress', { progressId: ID })).status).toBe(201);
    const legacy = await server.legacy(CRAWL, { origin: 'https://anywhere.example' });
    expect(JSON.parse(await legacy.nextEvent())).toMatchObject({ type: 'crawl_progress' });
    expect((await sioOutcome(`${server.url}/crawl`, {})).connected).toBe(true);
  });
});

describe('producer token', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ services: ['crawl-progress', 'project-tasks'], producerToken: 'p-token' });
  });
  afterAll(() => server.close());

  it('refuses producer calls without the token or with a wrong one, with 401 UNAUTHORIZED JSON', async () => {
    const attempts: Array<Record<string, string>> = [{}, { authorization: 'Bearer wrong' }, { authorization: 'Bearer p-token-longer' }, { authorization: 'p-token' }];
    for (const headers of attempts) {
      expect(await api(server.url, 'POST', '/api/producer/crawl-progress', { progressId: ID }, headers)).toMatchObject({ status: 401, body: { error: { code: 'UNAUTHORIZED' } } });
    }
  });

  it('refuses the same route disguised by case, escapes or doubled slashes', async () => {
    for (const path of ['/API/Producer/crawl-progress', '/api/%70roducer/crawl-progress', '//api//producer/crawl-progress']) {
      const res = await api(server.url, 'POST', path, { progressId: ID });
      expect(res.status, path).not.toBe(200);
    }
    expect((await api(server.url, 'POST', '/API/Producer/crawl-progress', { progressId: ID })).status).toBe(401);
  });

  it('accepts the right token, and leaves the legacy application\'s own REST routes to client auth', async () => {
    expect((await api(server.url, 'POST', '/api/producer/crawl-progress', { progressId: ID }, { authorization: 'Bearer p-token' })).status).toBe(201);
    // POST /api/tasks is called by legacy browser frontends: not a producer route.
    expect((await api(server.url, 'POST', '/api/tasks', { project_id: 'P1', title: 'Login' })).status).toBeLessThan(300);
  });
});

describe('client authentication with an HS256 JWT', () => {
  let server: TestServer;
  const seen: Array<string | undefined> = [];
  beforeAll(async () => {
    server = await startServer({
      services: ['crawl-progress', 'mcp-logs'],
      verifyClient: jwtVerifier({ secret: SECRET, issuer: 'https://auth.example', audience: 'switchyard' }),
      legacyMode: (_service, identity) => {
        seen.push(identity.clientId);
        return 'legacy';
      },
    });
  });
  afterAll(() => server.close());
  const good = (sub = 'user-1'): Promise<string> => hs256({ sub, iss: 'https://auth.example', aud: 'switchyard' });

  it('refuses a legacy upgrade without a token, or with a bad one, with 401 and the JSON body', async () => {
    const expired = await hs256({ sub: 'u', iss: 'https://auth.example', aud: 'switchyard' }, '-1m');
    const wrongAudience = await hs256({ sub: 'u', iss: 'https://auth.example', aud: 'other' });
    const wrongSecret = await hs256({ sub: 'u', iss: 'https://auth.example', aud: 'switchyard' }, '5m', 'another-secret-another-secret-another');
    const noSubject = await hs256({ iss: 'https://auth.example', aud: 'switchyard' });
    for (const token of [undefined, 'garbage', expired, wrongAudience, wrongSecret, noSubject]) {
      const path = token === undefined ? CRAWL : `${CRAWL}?token=${encodeURIComponent(token)}`;
      await expect(LegacyClient.connect(server.wsUrl + path)).rejects.toMatchObject({ status: 401, body: expect.stringContaining('"UNAUTHORIZED"') });
    }
  });

  it('opens a legacy socket with the token as a bearer header, a cookie or a query parameter; the subject is its stickiness id', async () => {
    seen.length = 0;
    const viaHeader = await server.legacy(CRAWL, { authorization: `Bearer ${await good('alice')}` });
    const viaCookie = await server.legacy(CRAWL, { cookie: `theme=dark; switchyard_token=${await good('bob')}` });
    const viaQuery = await server.legacy(`${CRAWL}?token=${await good('carol')}&client_id=spoofed`);
    for (const client of [viaHeader, viaCookie, viaQuery]) expect(JSON.parse(await client.nextEvent())).toMatchObject({ type: 'crawl_progress' });
    expect(seen).toEqual(['alice', 'bob', 'carol']);
  });

  it('refuses a Socket.IO client without auth.token with connect_error UNAUTHORIZED, and admits one with it', async () => {
    expect(await sioOutcome(`${server.url}/crawl`, {})).toEqual({ connected: false, code: 'UNAUTHORIZED' });
    expect(await sioOutcome(`${server.url}/crawl`, { auth: { token: 'garbage' } })).toEqual({ connected: false, code: 'UNAUTHORIZED' });
    expect(await sioOutcome(`${server.url}/crawl`, { auth: { token: await good() } })).toEqual({ connected: true });
  });

  it('guards the client REST routes and leaves health, readiness and the producer API alone', async () => {
    expect(await api(server.url, 'GET', '/api/mcp/logs')).toMatchObject({ status: 401, body: { error: { code: 'UNAUTHORIZED' } } });
    expect((await api(server.url, 'GET', '/api/mcp/logs', undefined, { authorization: `Bearer ${await good()}` })).status).toBe(200);
    expect((await api(server.url, 'GET', '/health')).status).toBe(200);
    expect((await api(server.url, 'GET', '/ready')).status).toBe(200);
    expect((await api(server.url, 'POST', '/api/producer/mcp-logs', { level: 'INFO', message: 'x' })).status).toBe(201);
  });
});

describe('client authentication against a JWKS', () => {
  let jwksServer: Server;
  let server: TestServer;
  let sign: (claims: Record<string, unknown>) => Promise<string>;
  let jwksRequests = 0;
  beforeAll(async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    sign = (claims) => new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setIssuedAt().setExpirationTime('5m').sign(privateKey);
    jwksServer = createServer((_req, res) => {
      jwksRequests += 1;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    const { port } = jwksServer.address() as AddressInfo;
    server = await startServer({ services: ['crawl-progress'], verifyClient: jwtVerifier({ jwksUrl: `http://127.0.0.1:${port}/.well-known/jwks.json`, audience: 'switchyard' }) });
  });
  afterAll(async () => {
    await server.close();
    await new Promise((resolve) => jwksServer.close(resolve));
  });

  it('admits tokens signed by a key of the JWKS on both transports, and refuses others', async () => {
    const token = await sign({ sub: 'dave', aud: 'switchyard' });
    const legacy = await server.legacy(`${CRAWL}?token=${token}`);
    expect(JSON.parse(await legacy.nextEvent())).toMatchObject({ type: 'crawl_progress' });
    expect(await sioOutcome(`${server.url}/crawl`, { auth: { token } })).toEqual({ connected: true });
    expect(jwksRequests).toBeGreaterThan(0);
    const wrongAudience = await sign({ sub: 'dave', aud: 'elsewhere' });
    await expect(LegacyClient.connect(`${server.wsUrl}${CRAWL}?token=${wrongAudience}`)).rejects.toMatchObject({ status: 401 });
    const forged = await hs256({ sub: 'dave', aud: 'switchyard' });
    expect(await sioOutcome(`${server.url}/crawl`, { auth: { token: forged } })).toEqual({ connected: false, code: 'UNAUTHORIZED' });
  });
});

describe('Origin allowlist', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ services: ['crawl-progress', 'mcp-logs'], allowedOrigins: ['https://app.example', 'http://localhost:3000/'] });
  });
  afterAll(() => server.close());

  it('refuses a legacy upgrade from another origin with 403 FORBIDDEN_ORIGIN, admits listed ones and clients that send none', async () => {
    await expect(LegacyClient.connect(server.wsUrl + CRAWL, { origin: 'https://evil.example' })).rejects.toMatchObject({ status: 403, body: expect.stringContaining('"FORBIDDEN_ORIGIN"') });
    const allowed: Array<Record<string, string>> = [{ origin: 'https://app.example' }, { origin: 'http://localhost:3000' }, {}];
    for (const headers of allowed) {
      const client = await server.legacy(CRAWL, headers);
      expect(JSON.parse(await client.nextEvent())).toMatchObject({ type: 'crawl_progress' });
    }
  });

  it('refuses Socket.IO from another origin, on the WebSocket and the polling handshake', async () => {
    expect((await sioOutcome(`${server.url}/crawl`, { extraHeaders: { origin: 'https://evil.example' } })).connected).toBe(false);
    expect((await sioOutcome(`${server.url}/crawl`, { extraHeaders: { origin: 'https://app.example' } })).connected).toBe(true);
    const polling = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`, { headers: { origin: 'https://evil.example' } });
    expect(polling.status).toBe(403);
    expect(polling.headers.get('access-control-allow-origin')).toBeNull();
    const allowed = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`, { headers: { origin: 'https://app.example' } });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example');
  });

  it('answers REST from another origin with 403 and no CORS grant; echoes listed origins', async () => {
    const evil = await fetch(`${server.url}/api/mcp/logs`, { headers: { origin: 'https://evil.example' } });
    expect(evil.status).toBe(403);
    expect(await evil.json()).toMatchObject({ error: { code: 'FORBIDDEN_ORIGIN' } });
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    const good = await fetch(`${server.url}/api/mcp/logs`, { headers: { origin: 'https://app.example' } });
    expect(good.status).toBe(200);
    expect(good.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect((await fetch(`${server.url}/api/mcp/logs`)).status).toBe(200);
  });
});
