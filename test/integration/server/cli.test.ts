/**
 * The `switchyard` command as an operator runs it: a real process, its
 * configuration from flags, a graceful stop on SIGTERM, and a clear refusal
 * to start on a bad plan file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_PLAN_DIR } from '../../../src/adapter/plan-loader.js';
import { LegacyClient } from '../../support/legacy-client.js';
import { ensureBuild } from '../../support/build.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

function run(args: string[], env: Record<string, string> = {}): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function listening(output: () => string, timeoutMs = 15_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output());
    if (found) return Number(found[1]);
    if (Date.now() > deadline) throw new Error(`server did not start: ${output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('switchyard command', () => {
  it('serves on the given port and stops gracefully on SIGTERM: legacy sockets closed with 1001, exit 0', { timeout: 30_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sy-cli-'));
    const server = run(['--port', '0', '--host', '127.0.0.1', '--flags-file', join(dir, 'flags.json')], { SWITCHYARD_ADMIN_TOKEN: 't' });
    const port = await listening(server.output);
    const health = await fetch(`http://127.0.0.1:${port}/ready`);
    expect(await health.json()).toMatchObject({ ready: true, plans: 7, flags: { kind: 'file' } });
    const client = await LegacyClient.connect(`ws://127.0.0.1:${port}/api/mcp/logs/stream`);
    await client.next((f) => f.includes('"connection"'));
    server.child.kill('SIGTERM');
    expect((await client.waitClose(10_000)).code).toBe(1001);
    expect(await server.exited).toBe(0);
  });

  it('refuses to start on a bad plan, naming the file and the field', { timeout: 30_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sy-plans-'));
    await cp(DEFAULT_PLAN_DIR, dir, { recursive: true });
    const file = join(dir, 'mcp-logs.json');
    await writeFile(file, (await readFile(file, 'utf8')).replace('"priority": "medium"', '"priority": "urgent"'));
    const server = run(['--port', '0', '--plans', dir]);
    expect(await server.exited).toBe(1);
    expect(server.output()).toContain(`${file}: priority:`);
  });

  it('rejects a bad flag value with a usage error', { timeout: 30_000 }, async () => {
    const server = run(['--port', 'eighty']);
    expect(await server.exited).not.toBe(0);
    expect(server.output()).toContain('port must be an integer');
  });
});


/** Resolves true when a TCP connection to the port is refused (nothing listens). */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

describe('npm start', () => {
  it('stops gracefully when the npm process gets SIGTERM: 1001 to clients, exit 0, nothing left listening', { timeout: 240_000 }, async () => {
    await ensureBuild();
    const dir = await mkdtemp(join(tmpdir(), 'sy-npm-'));
    const child = spawn('npm', ['start', '--', '--port', '0', '--host', '127.0.0.1', '--flags-file', join(dir, 'flags.json')], {
      cwd: ROOT, env: { ...process.env, SWITCHYARD_ADMIN_TOKEN: 't' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const port = await listening(() => output, 30_000);
    const client = await LegacyClient.connect(`ws://127.0.0.1:${port}/api/mcp/logs/stream`);
    await client.next((f) => f.includes('"connection"'));
    child.kill('SIGTERM');
    expect((await client.waitClose(10_000)).code).toBe(1001);
    expect(await exited).toBe(0);
    expect(await refused(port)).toBe(true);
  });
});
