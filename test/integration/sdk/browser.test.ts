import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, overridableFlags } from '../../support/flags.js';
import { api, startServer, type TestServer } from '../../support/harness.js';

const CHROMIUM = '/usr/bin/chromium';
const ESBUILD = 'node_modules/.bin/esbuild';
const ID = 'b0b00000-0000-4000-8000-000000000001';
const haveChromium = existsSync(CHROMIUM);
const required = process.env.SWITCHYARD_REQUIRE_SERVICES === '1';

/** Bundle the SDK as a browser would load it; esbuild fails on any Node-only import. */
async function bundle(dir: string): Promise<string> {
  const outfile = join(dir, 'sdk.js');
  await promisify(execFile)(ESBUILD, ['src/client/index.ts', '--bundle', '--format=esm', '--platform=browser', `--outfile=${outfile}`]);
  return outfile;
}

/**
 * The page, served from its own origin: the SDK reaches Switchyard across
 * origins (discovery and REST through CORS, WebSockets need none), as a
 * frontend on its own host would.
 */
function page(target: string): string {
  return `<!doctype html><meta charset="utf-8"><title>sdk</title>
<script type="module">
  import { connect } from '/sdk.js';
  const params = { progress_id: ${JSON.stringify(ID)} };
  window.received = [];
  window.states = [];
  // One client as the server decides (Socket.IO at this stage), one held to the legacy endpoint (browser WebSocket).
  for (const [name, transports] of [['auto', undefined], ['legacy', ['legacy']]]) {
    const client = connect({ url: ${JSON.stringify(target)}, service: 'crawl-progress', params, transports });
    client.on('state', (s) => window.states.push({ name, ...s }));
    client.on('progress_update', (p) => window.received.push({ name, transport: client.transport, status: p.status, percentage: p.percentage, seq: p.seq }));
  }
</script>`;
}

function pageServer(bundlePath: string, target: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    if (req.url === '/' || req.url === '/index.html') return void res.writeHead(200, { 'content-type': 'text/html' }).end(page(target));
    if (req.url === '/sdk.js') {
      return void readFile(bundlePath).then((js) => res.writeHead(200, { 'content-type': 'text/javascript' }).end(js));
    }
    res.writeHead(404).end();
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })));
}

describe('SDK browser bundle', () => {
  let dir: string;
  let bundlePath: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchyard-sdk-'));
    bundlePath = await bundle(dir);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('bundles for the browser (format esm, platform browser) without Node-only imports', async () => {
    const js = await readFile(bundlePath, 'utf8');
    expect(js).toContain('export {');
    expect(js).not.toMatch(/from\s*["']node:/);
  });

  const reason = `skipped: ${CHROMIUM} is not installed (apt-get install -y chromium)`;
  describe.skipIf(!haveChromium && !required)(haveChromium || required ? 'in Chromium' : `in Chromium (${reason})`, () => {
    let sy: TestServer;
    let pages: { server: Server; url: string };
    let browser: Browser;
    beforeAll(async () => {
      sy = await startServer({ services: ['crawl-progress'], flags: overridableFlags('socketio'), adminToken: ADMIN_TOKEN });
      await api(sy.url, 'POST', '/api/producer/crawl-progress', { progressId: ID });
      pages = await pageServer(bundlePath, sy.url);
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      });
    });
    afterAll(async () => {
      await browser?.close();
      await new Promise((resolve) => pages?.server.close(resolve));
      pages?.server.closeAllConnections();
      await sy?.close();
    });

    it('connects over Socket.IO and over the legacy endpoint, and receives an event on each', async () => {
      const tab = await browser.newPage();
      const errors: string[] = [];
      tab.on('pageerror', (error) => errors.push(error.message));
      await tab.goto(`${pages.url}/`);
      await tab.waitForFunction(() => (window as unknown as { states: Array<{ state: string }> }).states.filter((s) => s.state === 'connected').length === 2, undefined, { timeout: 10_000 });
      await api(sy.url, 'POST', `/api/producer/crawl-progress/${ID}/progress`, { status: 'crawling', percentage: 42 });
      await tab.waitForFunction(() => (window as unknown as { received: Array<{ percentage: number }> }).received.filter((r) => r.percentage === 42).length === 2, undefined, { timeout: 10_000 });
      const received = await tab.evaluate(() => (window as unknown as { received: unknown[] }).received);
      expect(received).toEqual(expect.arrayContaining([
        { name: 'auto', transport: 'socketio', status: 'crawling', percentage: 42, seq: 2 },
        { name: 'legacy', transport: 'legacy', status: 'crawling', percentage: 42, seq: 2 },
      ]));
      expect(errors).toEqual([]);
    });
  });
});
