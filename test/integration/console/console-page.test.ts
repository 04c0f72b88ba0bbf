/**
 * The operator console in headless Chromium: the seven services, live counts
 * pushed by the server, a rollout read as "shadow + 25% socketio", and a
 * rollback from the page, confirmed, that moves a connected Socket.IO client.
 * A screenshot is kept in test/artifacts/console.png.
 */
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PLAN_DIR } from '../../../src/adapter/plan-loader.js';
import { FileFlagSource } from '../../../src/flags/file-flag-source.js';
import { OverrideFlagSource } from '../../../src/flags/override-flag-source.js';
import type { Stage } from '../../../src/flags/stage.js';
import { SERVICE_IDS, type ServiceId } from '../../../src/registry/contracts.js';
import { ADMIN_TOKEN, overridableFlags } from '../../support/flags.js';
import { api, startServer, type TestServer } from '../../support/harness.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const required = process.env.SWITCHYARD_REQUIRE_SERVICES === '1';
const ALICE = 'alice-console-token';
const reason = `skipped: ${CHROMIUM} is not installed (apt-get install -y chromium)`;

describe.skipIf(!haveChromium && !required)(haveChromium || required ? 'console in Chromium' : `console in Chromium (${reason})`, () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let dir: string;
  let flags: OverrideFlagSource;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchyard-console-'));
    const path = join(dir, 'flags.json');
    await writeFile(path, JSON.stringify({ 'project-tasks': { stage: 'shadow', rollout: { stage: 'socketio', percent: 25 } }, 'crawl-progress': 'socketio' }));
    const defaults = Object.fromEntries(SERVICE_IDS.map((id) => [id, 'legacy'])) as Record<ServiceId, Stage>;
    flags = new OverrideFlagSource(new FileFlagSource({ path, defaults }));
    await flags.start();
    server = await startServer({ flags, adminToken: ADMIN_TOKEN, adminTokens: { alice: ALICE } });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) pageErrors.push(message.text());
    });
    await page.goto(`${server.url}/console`);
    await page.fill('#token', ALICE);
    await page.click('#save');
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await flags?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const row = (service: ServiceId) => page.locator(`#services tbody tr[data-service="${service}"]`);
  const cellText = (service: ServiceId, cell: string) => row(service).locator(`td.c-${cell}`).textContent();
  const waitForCell = (service: ServiceId, cell: string, text: string | RegExp) =>
    page.waitForFunction(([s, c, t, isRegExp]) => {
      const value = document.querySelector(`#services tbody tr[data-service="${s}"] td.c-${c}`)?.textContent ?? '';
      return isRegExp ? new RegExp(t).test(value) : value === t;
    }, [service, cell, text instanceof RegExp ? text.source : text, text instanceof RegExp] as const, { timeout: 10_000 });

  it('shows the seven services and who is logged in', async () => {
    await page.waitForFunction(() => document.querySelectorAll('#services tbody tr').length === 7, undefined, { timeout: 10_000 });
    expect(await page.textContent('#actor')).toBe('alice');
    expect(await page.textContent('#live')).toBe('live');
    for (const service of SERVICE_IDS) expect(await row(service).locator('strong').textContent()).toBe(service);
  });

  it('reads a gradual rollout as "shadow + 25% socketio", and shows consistency only while in shadow', async () => {
    expect(await row('project-tasks').locator('.stage').textContent()).toBe('shadow + 25% socketio');
    expect(await row('project-tasks').locator('.c-stage .meta').textContent()).toBe('source: file');
    expect(await cellText('project-tasks', 'shadow')).toContain('no comparisons yet');
    expect(await cellText('mcp-logs', 'shadow')).toContain('not in shadow');
  });

  it('pushes connection counts as clients connect, without a reload', async () => {
    await api(server.url, 'POST', '/api/producer/crawl-progress', { progressId: 'c1' });
    const sio = await server.sio('/crawl', { auth: { clientId: 'console-test' } });
    expect(sio.connected).toBe(true);
    await waitForCell('crawl-progress', 'conn', '0 / 1');
    await server.legacy('/api/mcp/logs/stream');
    await waitForCell('mcp-logs', 'conn', '1 / 0');
  });

  it('rolls a service back from the page after a confirmation naming the clients it moves, and the client sees it', async () => {
    const sio = await server.sio('/crawl', { auth: { clientId: 'rollback-client' } });
    await waitForCell('crawl-progress', 'conn', '0 / 2');
    const notice = new Promise<Record<string, unknown>>((resolve) => sio.once('switchyard:stage', resolve));
    const disconnected = new Promise<string>((resolve) => sio.once('disconnect', resolve));

    await row('crawl-progress').getByRole('button', { name: 'legacy', exact: true }).click();
    const dialog = page.locator('#confirm');
    await dialog.waitFor({ state: 'visible', timeout: 5000 });
    const text = await page.textContent('#confirm-text');
    expect(text).toContain('Set crawl-progress to legacy');
    expect(text).toContain('moves 2 open connections');
    expect(text).toContain('as alice');
    // Nothing has moved before the operator confirms.
    expect(sio.connected).toBe(true);
    await mkdir('test/artifacts', { recursive: true });
    await page.screenshot({ path: 'test/artifacts/console-confirm.png' });
    await page.click('#confirm-yes');

    expect(await notice).toMatchObject({ code: 'STAGE_CHANGED', service: 'crawl-progress', stage: 'legacy' });
    await disconnected;
    await waitForCell('crawl-progress', 'conn', '0 / 0');
    await page.waitForFunction(() => document.querySelector('#services tbody tr[data-service="crawl-progress"] .stage')?.textContent === 'legacy', undefined, { timeout: 10_000 });
    await waitForCell('crawl-progress', 'last', /^socketio → legacy at .* by alice in [\d.]+ ms$/);
    expect(await row('crawl-progress').locator('.c-stage .meta').textContent()).toBe('source: override');
    expect(await page.locator('#audit tbody tr').first().textContent()).toContain('alice');
    const audit = await api(server.url, 'GET', '/api/admin/audit?service=crawl-progress', undefined, { authorization: `Bearer ${ADMIN_TOKEN}` });
    expect((audit.body as { entries: Array<{ to: string; actor: string }> }).entries.at(-1)).toMatchObject({ to: 'legacy', actor: 'alice' });
  });

  it('asks for a confirmation before retiring a service too', async () => {
    await row('knowledge-items').getByRole('button', { name: 'retired' }).click();
    await page.locator('#confirm').waitFor({ state: 'visible', timeout: 5000 });
    expect(await page.textContent('#confirm-text')).toContain('refuses every new connection');
    await page.click('#confirm-no');
    await page.locator('#confirm').waitFor({ state: 'hidden', timeout: 5000 });
    expect(await row('knowledge-items').locator('.stage').textContent()).toBe('legacy');
  });

  it('has drawn a chart per service, kept a screenshot, and raised no page or CSP error', async () => {
    expect(await page.locator('#services tbody tr td.c-chart svg polyline').count()).toBeGreaterThanOrEqual(7);
    await mkdir('test/artifacts', { recursive: true });
    await page.screenshot({ path: 'test/artifacts/console.png', fullPage: true });
    expect(existsSync('test/artifacts/console.png')).toBe(true);
    expect(pageErrors).toEqual([]);
  });
});

describe.skipIf(!haveChromium && !required)(haveChromium || required ? 'console shadow diff in Chromium' : `console shadow diff in Chromium (${reason})`, () => {
  let server: TestServer;
  let browser: Browser;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchyard-console-diff-'));
    await cp(DEFAULT_PLAN_DIR, dir, { recursive: true });
    const file = join(dir, 'crawl-progress.json');
    // A deliberately broken mapping: the adapter names the completion event differently.
    await writeFile(file, (await readFile(file, 'utf8')).replace('"type": "crawl_completed"', '"type": "crawl_done"'));
    server = await startServer({ planDir: dir, services: ['crawl-progress'], flags: overridableFlags('shadow'), adminToken: ADMIN_TOKEN });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('shows a mismatch as a side-by-side diff of the two frames, the difference marked', async () => {
    const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
    await page.goto(`${server.url}/console`);
    await page.fill('#token', ADMIN_TOKEN);
    await page.click('#save');
    const id = 'd1ff0000-0000-4000-8000-000000000001';
    await api(server.url, 'POST', '/api/producer/crawl-progress', { progressId: id });
    const client = await server.legacy(`/api/crawl-progress/${id}`);
    await client.nextEvent();
    await api(server.url, 'POST', `/api/producer/crawl-progress/${id}/complete`, {});
    await page.waitForSelector('tr[data-service="crawl-progress"] details summary >> text=first 1 mismatches', { timeout: 10_000 });
    expect(await page.textContent('tr[data-service="crawl-progress"] .c-shadow div')).toMatch(/ \(1 mismatches\)$/);
    await page.click('tr[data-service="crawl-progress"] details summary');
    const cells = page.locator('tr[data-service="crawl-progress"] table.diff td.d');
    expect(await cells.count()).toBe(2);
    expect(await cells.nth(0).textContent()).toMatch(/^\{"type":"crawl_completed"/);
    expect(await cells.nth(1).textContent()).toMatch(/^\{"type":"crawl_done"/);
    // Only what differs is marked: between the common `{"type":"crawl_` and the common rest of the frame.
    expect(await cells.nth(0).locator('mark').textContent()).toBe('completed');
    expect(await cells.nth(1).locator('mark').textContent()).toBe('done');
    await mkdir('test/artifacts', { recursive: true });
    await page.screenshot({ path: 'test/artifacts/console-shadow-diff.png', fullPage: true });
  });
});
