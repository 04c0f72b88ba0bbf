/**
 * Requests whose target cannot be parsed, or whose WebSocket handshake is
 * broken, get a 4xx JSON answer; none of them may take the server (and every
 * client on it) down.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { api, startServer, type TestServer } from '../../support/harness.js';
import type { LegacyClient } from '../../support/legacy-client.js';
import { handshake, rawRequest } from '../../support/raw-http.js';

const ID = 'a1b2c3d4-0000-4000-8000-00000000f00d';

describe('malformed request targets', () => {
  let server: TestServer;
  let port: number;
  let bystander: LegacyClient;
  beforeEach(async () => {
    server = await startServer({ services: ['crawl-progress', 'test-execution'] });
    port = Number(new URL(server.url).port);
    // Connected all along: a crash would close it with 1006.
    bystander = await server.legacy(`/api/crawl-progress/${ID}`);
    await bystander.nextEvent();
  });
  afterEach(async () => {
    await server.close();
  });

  async function bystanderStillServed(): Promise<void> {
    expect(bystander.closed).toBeUndefined();
    await api(server.url, 'POST', '/api/producer/crawl-progress', { progressId: ID });
    expect(JSON.parse(await bystander.nextEvent())).toMatchObject({ data: { status: 'starting' } });
  }

  it.each([
    ['a bad percent-escape in a legacy path', '/api/crawl-progress/100%'],
    ['an invalid UTF-8 escape', '/api/tests/stream/%E0'],
    ['a target starting with //', '//api/crawl-progress/x'],
    ['a bare //', '//'],
    ['an absolute-form target', 'http://elsewhere.example/api/crawl-progress/x'],
  ])('refuses a WebSocket upgrade with %s: 400 MALFORMED_REQUEST, the server carries on', async (_, target) => {
    const answer = await rawRequest(port, handshake(target));
    expect(answer.status).toBe(400);
    expect(answer.headers['content-type']).toContain('application/json');
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'MALFORMED_REQUEST' } });
    await bystanderStillServed();
  });

  it.each([
    ['/api/tests/status/%E0'],
    ['/api/producer/crawl-progress/100%'],
    ['//health'],
    ['/socket.io/%E0?EIO=4&transport=polling'],
  ])('answers a plain HTTP request to %s with 400 MALFORMED_REQUEST JSON', async (target) => {
    const answer = await rawRequest(port, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    expect(answer.status).toBe(400);
    expect(answer.headers['x-content-type-options']).toBe('nosniff');
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'MALFORMED_REQUEST' } });
    await bystanderStillServed();
  });

  it('still decodes good escapes in legacy path parameters', async () => {
    const answer = await rawRequest(port, handshake('/api/crawl-progress/caf%C3%A9'));
    expect(answer.status).toBe(101);
  });
});

describe('broken WebSocket handshakes on legacy paths', () => {
  let server: TestServer;
  let port: number;
  beforeEach(async () => {
    server = await startServer({ services: ['crawl-progress'] });
    port = Number(new URL(server.url).port);
  });
  afterEach(async () => {
    await server.close();
  });

  it.each([
    ['a Sec-WebSocket-Key that is not 16 bytes of base64', { 'Sec-WebSocket-Key': 'A'.repeat(4000) }],
    ['no Sec-WebSocket-Key', { 'Sec-WebSocket-Key': undefined }],
    ['an unsupported Sec-WebSocket-Version', { 'Sec-WebSocket-Version': '99' }],
    ['an Upgrade that is not websocket', { Upgrade: 'h2c' }],
  ])('refuses %s with 400 MALFORMED_REQUEST and opens no session', async (_, headers) => {
    const answer = await rawRequest(port, handshake(`/api/crawl-progress/${ID}`, headers));
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'MALFORMED_REQUEST' } });
    expect(server.sy.hub.countMembers(`crawl_${ID}`, () => true)).toBe(0);
  });

  it('names the versions it speaks when the version is wrong', async () => {
    const answer = await rawRequest(port, handshake(`/api/crawl-progress/${ID}`, { 'Sec-WebSocket-Version': '7' }));
    expect(answer.headers['sec-websocket-version']).toBe('13, 8');
  });

  it('answers a request with no Upgrade header as plain HTTP: a JSON 404', async () => {
    const answer = await rawRequest(port, handshake(`/api/crawl-progress/${ID}`, { Upgrade: undefined }));
    expect(answer.status).toBe(404);
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });

  it('refuses headers over Node\'s limit with 431 and keeps serving', async () => {
    const answer = await rawRequest(port, handshake(`/api/crawl-progress/${ID}`, { 'Sec-WebSocket-Key': 'A'.repeat(64 * 1024) }));
    expect(answer.status).toBe(431);
    const client = await server.legacy(`/api/crawl-progress/${ID}`);
    expect(await client.nextEvent()).toContain('crawl_progress');
  });
});
