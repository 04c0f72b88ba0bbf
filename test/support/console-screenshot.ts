/**
 * Takes docs/console.png: the demo (`src/cli.ts --demo`, as `npm start -- --demo`)
 * with a flags file that puts the services at different stages, legacy and
 * Socket.IO clients joining over time, and the console as the operator
 * `alice` sees it. Run: `npx tsx test/support/console-screenshot.ts [seconds] [out.png]`
 * (default 150 s, so the charts have points; needs /usr/bin/chromium).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { io as ioClient, type Socket } from 'socket.io-client';
import { WebSocket } from 'ws';
import { REPO_ROOT, startCli } from './cli-server.js';

const seconds = Number(process.argv[2] ?? 150);
const out = process.argv[3] ?? join(REPO_ROOT, 'docs/console.png');
const ALICE = 'alice-demo-token';

const dir = await mkdtemp(join(tmpdir(), 'switchyard-screenshot-'));
await writeFile(join(dir, 'switchyard.flags.json'), JSON.stringify({
  'crawl-progress': 'socketio',
  'agent-chat': 'shadow',
  'project-tasks': { stage: 'shadow', rollout: { stage: 'socketio', percent: 25 } },
  'mcp-logs': 'socketio',
  'knowledge-items': 'socketio',
}));
const server = await startCli(dir, { ...process.env, SWITCHYARD_ADMIN_TOKENS: `alice:${ALICE}` });
const base = `127.0.0.1:${server.port}`;
const sockets: Array<WebSocket | Socket> = [];
const legacy = (path: string): void => {
  const ws = new WebSocket(`ws://${base}${path}`);
  ws.on('error', () => {});
  sockets.push(ws);
};
const sio = (namespace: string, clientId: string): void => {
  // forceNew: one connection per client, as separate browsers would have (not one multiplexed Manager).
  const socket = ioClient(`http://${base}${namespace}`, { transports: ['websocket'], reconnection: false, forceNew: true, auth: { clientId } });
  sockets.push(socket);
};
const admin = (method: string, path: string, body?: unknown): Promise<Response> => fetch(`http://${base}${path}`, {
  method, headers: { authorization: `Bearer ${ALICE}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
});

try {
  await admin('PUT', '/api/admin/stages/test-execution', { stage: 'shadow' });
  const rounds = Math.max(1, Math.floor(seconds / 10));
  for (let round = 0; round < rounds; round++) {
    legacy('/api/agent-chat/sessions/00000000-0000-4000-8000-00000000c4a7/ws');
    legacy('/api/mcp/logs/stream');
    if (round % 2 === 0) legacy('/api/knowledge-items/stream');
    legacy('/api/projects/P1/tasks/ws');
    sio('/crawl', `c${round}`);
    if (round % 3 === 0) sio('/logs', `l${round}`);
    sio('/knowledge', `k${round}`);
    sio('/tasks', `t${round}`);
    // Producer traffic beside the demo's, so the rates move.
    await fetch(`http://${base}/api/producer/mcp-logs/batch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ entries: Array.from({ length: 20 * (round % 4) + 5 }, (_, i) => ({ level: 'INFO', message: `line ${i}` })) }) });
    if (round === Math.floor(rounds / 2)) await admin('PUT', '/api/admin/stages/crawl-progress', { stage: 'legacy' });
    if (round === Math.floor(rounds / 2) + 2) await admin('DELETE', '/api/admin/stages/crawl-progress');
    await new Promise((resolve) => setTimeout(resolve, 10_000));
  }
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  const page = await browser.newPage({ viewport: { width: 1500, height: 900 } });
  await page.goto(`http://${base}/console`);
  await page.fill('#token', ALICE);
  await page.click('#save');
  await page.waitForFunction(() => document.querySelectorAll('#services tbody tr').length === 7, undefined, { timeout: 10_000 });
  // Two snapshots in, so the rates have a window.
  await new Promise((resolve) => setTimeout(resolve, 3000));
  await page.screenshot({ path: out, fullPage: true });
  await browser.close();
  console.info(`wrote ${out}`);
} finally {
  for (const socket of sockets) {
    if (socket instanceof WebSocket) socket.terminate();
    else socket.disconnect();
  }
  server.child.kill('SIGTERM');
  await rm(dir, { recursive: true, force: true });
}
