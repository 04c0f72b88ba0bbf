/**
 * Every REST refusal is a JSON catalogue error with the right status, bodies
 * are JSON or refused, and the answers carry the hardening headers.
 */
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, overridableFlags } from '../../support/flags.js';
import { api, startServer, type TestServer } from '../../support/harness.js';
import { rawRequest } from '../../support/raw-http.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);

describe('REST answers', () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startServer({ services: ['agent-chat', 'crawl-progress'], flags: overridableFlags('legacy'), adminToken: ADMIN_TOKEN });
  });
  afterEach(async () => {
    await server.close();
  });

  it('keeps the tracker\'s own keys when a crawl start sends them (a string `logs` once answered 500)', async () => {
    const started = await api(server.url, 'POST', '/api/producer/crawl-progress', { progressId: 'p-logs', logs: 'not a list', start_time: 'x', label: 'kept' });
    expect(started.status).toBe(201);
    expect(started.body).toMatchObject({ progressId: 'p-logs', logs: ['Starting crawl...'], label: 'kept' });
    const updated = await api(server.url, 'POST', '/api/producer/crawl-progress/p-logs/progress', { status: 'crawling', percentage: 10, log: 'page 1' });
    expect(updated).toMatchObject({ status: 200, body: { logs: ['Starting crawl...', 'page 1'] } });
  });

  it('refuses a text/plain body with 415 UNSUPPORTED_MEDIA_TYPE instead of creating a chat session', async () => {
    const res = await fetch(`${server.url}/api/agent-chat/sessions`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'garbage' });
    expect(res.status).toBe(415);
    const body = await res.json() as Record<string, unknown>;
    expect(body).toMatchObject({ error: { code: 'UNSUPPORTED_MEDIA_TYPE' } });
    expect(body).not.toHaveProperty('session_id');
  });

  it.each([
    ['application/x-www-form-urlencoded', 'project_id=p1'],
    ['multipart/form-data; boundary=x', '--x--'],
    ['text/html', '<b>x</b>'],
  ])('refuses a %s body on producer and legacy routes with 415', async (type, body) => {
    for (const [method, path] of [['POST', '/api/producer/crawl-progress'], ['POST', '/api/agent-chat/sessions'], ['PUT', '/api/admin/stages/agent-chat']]) {
      const res = await fetch(server.url + path, { method, headers: { 'content-type': type, authorization: `Bearer ${ADMIN_TOKEN}` }, body });
      expect([path, res.status]).toEqual([path, 415]);
    }
  });

  it('keeps accepting what legacy clients send: no body, a JSON body, and a JSON body without a Content-Type', async () => {
    const bare = await fetch(`${server.url}/api/agent-chat/sessions?project_id=p1`, { method: 'POST' });
    expect(bare.status).toBe(200);
    expect((await api(server.url, 'POST', '/api/agent-chat/sessions', { project_id: 'p2' })).status).toBe(200);
    const json = '{"progressId":"u"}';
    const untyped = await rawRequest(Number(new URL(server.url).port),
      `POST /api/producer/crawl-progress HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${json.length}\r\n\r\n${json}`);
    expect(untyped.status).toBe(201);
  });

  it('answers a route with the wrong method 405 METHOD_NOT_ALLOWED JSON with an Allow header', async () => {
    const res = await fetch(`${server.url}/health`, { method: 'DELETE' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toContain('GET');
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(await res.json()).toMatchObject({ error: { code: 'METHOD_NOT_ALLOWED' } });
  });

  it('answers a method no route knows (which the router calls 501) as JSON METHOD_NOT_ALLOWED, not text', async () => {
    const answer = await rawRequest(Number(new URL(server.url).port), 'PROPFIND /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    expect(answer.status).toBe(405);
    expect(answer.headers['content-type']).toContain('application/json');
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'METHOD_NOT_ALLOWED' } });
  });

  it('sends X-Content-Type-Options: nosniff on answers and errors', async () => {
    for (const path of ['/health', '/api/nope', '/api/admin/stages', '/metrics']) {
      const res = await fetch(server.url + path);
      expect([path, res.headers.get('x-content-type-options')]).toEqual([path, 'nosniff']);
    }
  });

  it('serves the console unframeable, with a CSP that admits only its own script and style', async () => {
    const res = await fetch(`${server.url}/console`);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'/);
  });

  it.skipIf(!haveChromium && process.env.SWITCHYARD_REQUIRE_SERVICES !== '1')('console still works under its CSP in Chromium (skipped without /usr/bin/chromium)', { timeout: 30_000 }, async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage();
      const violations: string[] = [];
      page.on('console', (message) => {
        if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
      });
      await page.goto(`${server.url}/console`);
      await page.fill('#token', ADMIN_TOKEN);
      await page.click('#save');
      await page.waitForSelector('#services tbody tr', { timeout: 10_000 });
      expect(await page.locator('#services tbody tr').count()).toBe(2);
      await page.locator('#services tbody tr', { hasText: 'agent-chat' }).getByRole('button', { name: 'shadow' }).click();
      // Every stage change asks for a confirmation first.
      await page.click('#confirm-yes');
      await page.waitForSelector('#audit tbody tr', { timeout: 10_000 });
      expect(await page.locator('#audit tbody tr').first().textContent()).toContain('admin');
      expect(violations).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
