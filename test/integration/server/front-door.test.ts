import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LegacyClient } from '../../support/legacy-client.js';
import { api, startServer, type TestServer } from '../../support/harness.js';

const ID = 'a1b2c3d4-0000-4000-8000-000000000003';

describe('one port, one upgrade listener', () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startServer({ services: ['crawl-progress'], limits: { legacyMaxPayload: 1024 } });
  });
  afterEach(async () => {
    await server.close();
  });

  it('refuses a WebSocket upgrade on an unknown path with 404 and a JSON body', async () => {
    await expect(LegacyClient.connect(`${server.wsUrl}/api/nowhere`)).rejects.toMatchObject({ status: 404, body: expect.stringContaining('"NOT_FOUND"') });
  });

  it('closes a legacy socket that sends an oversized frame with 1009, and the others carry on', async () => {
    const big = await server.legacy(`/api/crawl-progress/${ID}`);
    const other = await server.legacy(`/api/crawl-progress/${ID}`);
    await big.nextEvent();
    await other.nextEvent();
    big.send('x'.repeat(2048));
    expect((await big.waitClose()).code).toBe(1009);
    await api(server.url, 'POST', '/api/producer/crawl-progress', { progressId: ID });
    expect(JSON.parse(await other.nextEvent())).toMatchObject({ data: { status: 'starting' } });
  });

  it('ignores malformed JSON and unknown frames from legacy clients, as the legacy server did', async () => {
    const client = await server.legacy(`/api/crawl-progress/${ID}`);
    await client.nextEvent();
    client.send('{not json');
    client.send('{"type":"subscribe_everything"}');
    client.send('ping');
    expect(await client.next((f) => f.includes('pong'))).toBe('{"type":"pong"}');
    expect(client.closed).toBeUndefined();
  });

  it('keeps legacy sockets alive past engine.io\'s 1 s destroyUpgrade window', async () => {
    const client = await server.legacy(`/api/crawl-progress/${ID}`);
    await client.nextEvent();
    const sio = await server.sio('/crawl');
    // A frame after more than a second proves the socket survived.
    await new Promise((resolve) => setTimeout(resolve, 1200));
    client.send('ping');
    expect(await client.next((f) => f.includes('pong'))).toBe('{"type":"pong"}');
    expect(sio.connected).toBe(true);
  });

  it('answers health, readiness, metrics and unknown routes', async () => {
    expect(await api(server.url, 'GET', '/health')).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(await api(server.url, 'GET', '/ready')).toMatchObject({ status: 200, body: { ready: true, plans: 1 } });
    const metrics = await api(server.url, 'GET', '/metrics');
    expect(metrics.status).toBe(200);
    expect(String(metrics.body)).toContain('switchyard_connections{');
    expect(await api(server.url, 'GET', '/api/nope')).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    const page = await fetch(`${server.url}/console`);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('Switchyard');
  });

  it('lets a page on another origin call discovery and the service REST routes, but not the admin API', async () => {
    const origin = 'http://app.example';
    const preflight = await request(server.url).options('/api/switchyard/discover?service=crawl-progress')
      .set('Origin', origin).set('Access-Control-Request-Method', 'GET');
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe(origin);
    const discovery = await request(server.url).get('/api/switchyard/discover?service=crawl-progress').set('Origin', origin);
    expect(discovery.status).toBe(200);
    expect(discovery.headers['access-control-allow-origin']).toBe(origin);
    expect(discovery.body).toMatchObject({ service: 'crawl-progress', namespace: '/crawl', transport: 'socketio' });
    const admin = await request(server.url).get('/api/admin/stages').set('Origin', origin);
    expect(admin.headers['access-control-allow-origin']).toBeUndefined();
    const unknown = await request(server.url).get('/api/switchyard/discover?service=nope');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ error: { code: 'UNKNOWN_SERVICE' } });
  });

  it('rejects a REST body over the limit with 413', async () => {
    const res = await api(server.url, 'POST', '/api/producer/crawl-progress', { progressId: ID, padding: 'x'.repeat(2 * 1024 * 1024) });
    expect(res).toMatchObject({ status: 413, body: { error: { code: 'PAYLOAD_TOO_LARGE' } } });
  });
});
