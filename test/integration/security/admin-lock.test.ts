/**
 * The admin API is matched and authorised in one place, on the normalised
 * path: no spelling of `/api/admin/…` gets past without a token, none of them
 * gets CORS headers, and the name of the token that acted is audited.
 */
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, overridableFlags } from '../../support/flags.js';
import { api, startServer, type TestServer } from '../../support/harness.js';
import { rawRequest } from '../../support/raw-http.js';

const ALICE = 'alice-token-0123456789';
const BOB = 'bob-token-9876543210';

describe('the admin lock', () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startServer({
      services: ['agent-chat', 'crawl-progress'], flags: overridableFlags('legacy'),
      adminToken: ADMIN_TOKEN, adminTokens: { alice: ALICE, bob: BOB },
    });
  });
  afterEach(async () => {
    await server.close();
  });

  const spellings = [
    '/Api/Admin/Stages/agent-chat',
    '/API/ADMIN/STAGES/agent-chat',
    '/api//admin/stages/agent-chat',
    '/api/%61dmin/stages/agent-chat',
    '/api/%2561dmin/stages/agent-chat',
    '/api/x/../admin/stages/agent-chat',
    '/api/admin/./stages/agent-chat',
  ];

  it.each(spellings)('refuses PUT %s without a token (401), and the stage does not move', async (path) => {
    const answer = await rawRequest(Number(new URL(server.url).port),
      `PUT ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 20\r\n\r\n{"stage":"socketio"}`);
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
    expect(server.sy.stages!.baseStage('agent-chat')).toBe('legacy');
  });

  it.each([
    ['GET', '/Api/Admin/Stages'], ['GET', '/Api/Admin/Audit'], ['GET', '/Api/Admin/Shadow'], ['POST', '/Api/Admin/Flags/Refresh'],
    ['GET', '/api/ADMIN/stages'], ['DELETE', '/API/admin/stages/agent-chat'],
  ])('refuses %s %s without a token', async (method, path) => {
    expect(await api(server.url, method, path)).toMatchObject({ status: 401, body: { error: { code: 'UNAUTHORIZED' } } });
  });

  it('routes are case-sensitive: with a valid token /Api/… is 404 JSON, not the admin route', async () => {
    const res = await api(server.url, 'PUT', '/Api/Admin/Stages/agent-chat', { stage: 'socketio' }, { authorization: `Bearer ${ALICE}` });
    expect(res).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    expect(server.sy.stages!.baseStage('agent-chat')).toBe('legacy');
  });

  it('gives no CORS headers to any spelling of the admin API, preflight included', async () => {
    const origin = 'http://app.example';
    for (const path of ['/api/admin/stages', '/Api/Admin/Stages', '/api//admin/stages']) {
      const get = await request(server.url).get(path).set('Origin', origin).set('authorization', `Bearer ${ALICE}`);
      expect(get.headers['access-control-allow-origin'], path).toBeUndefined();
      const preflight = await request(server.url).options(path).set('Origin', origin).set('Access-Control-Request-Method', 'PUT');
      expect(preflight.headers['access-control-allow-origin'], path).toBeUndefined();
    }
  });

  it('refuses a wrong token of any length, a token of another scheme, and an empty bearer', async () => {
    for (const authorization of [`Bearer ${ALICE}x`, `Bearer ${ALICE.slice(0, -1)}`, 'Bearer x', `Basic ${ALICE}`, 'Bearer ', `Bearer ${'a'.repeat(5000)}`]) {
      expect((await api(server.url, 'GET', '/api/admin/stages', undefined, { authorization })).status, authorization.slice(0, 30)).toBe(401);
    }
  });

  it('records in the audit trail which named token changed a stage; other sources act as themselves', async () => {
    const put = (token: string, stage: string) => api(server.url, 'PUT', '/api/admin/stages/agent-chat', { stage }, { authorization: `Bearer ${token}` });
    expect((await put(ALICE, 'shadow')).status).toBe(200);
    expect((await put(BOB, 'socketio')).status).toBe(200);
    expect((await put(ADMIN_TOKEN, 'retired')).status).toBe(200);
    expect((await api(server.url, 'DELETE', '/api/admin/stages/agent-chat', undefined, { authorization: `Bearer ${BOB}` })).status).toBe(200);
    const audit = await api(server.url, 'GET', '/api/admin/audit?service=agent-chat', undefined, { authorization: `Bearer ${ALICE}` });
    expect((audit.body as { entries: Array<{ to: string; actor: string }> }).entries.map((e) => [e.to, e.actor])).toEqual([
      ['shadow', 'alice'], ['socketio', 'bob'], ['retired', 'admin'], ['legacy', 'bob'],
    ]);
  });
});

describe('without any admin token', () => {
  it('refuses every admin request, whatever the spelling', async () => {
    const server = await startServer({ services: ['agent-chat'], flags: overridableFlags('legacy') });
    try {
      for (const path of ['/api/admin/stages', '/Api/Admin/Stages']) {
        expect((await api(server.url, 'GET', path, undefined, { authorization: 'Bearer anything' })).status).toBe(401);
      }
    } finally {
      await server.close();
    }
  });
});
