/**
 * The package as someone else gets it: `npm pack` of this repository ships the
 * build (JavaScript and declarations) and the migration plans, no tests and no
 * TypeScript sources; the tarball installs into an empty project, both entry
 * points load there, and `npx switchyard --demo` serves from the installed
 * copy (plans found inside the package) and stops on SIGTERM.
 *
 * One pack, one install (dependencies from the npm cache, the registry only
 * for what the cache lacks): about a minute on a loaded machine.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuild } from '../../support/build.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const exec = promisify(execFile);


interface PackEntry {
  filename: string;
  files: { path: string }[];
}

let work: string;
let tarball: string;
let shipped: string[];
let server: ChildProcess | undefined;

beforeAll(async () => {
  await ensureBuild();
  work = await mkdtemp(join(tmpdir(), 'sy-pack-'));
  // --ignore-scripts: the build above is the one that ships; `prepare`/`prepack` would build again.
  const { stdout } = await exec('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], { cwd: ROOT, timeout: 60_000 });
  const [entry] = JSON.parse(stdout) as PackEntry[];
  tarball = join(work, entry!.filename);
  shipped = entry!.files.map((f) => f.path);
}, 240_000);

afterAll(async () => {
  if (server?.pid && server.exitCode === null && server.signalCode === null) process.kill(-server.pid, 'SIGKILL');
  if (work) await rm(work, { recursive: true, force: true });
});

describe('npm pack', () => {
  it('ships the build with its declarations and the migration plans, and no tests or TypeScript sources', () => {
    for (const file of ['dist/src/cli.js', 'dist/src/index.js', 'dist/src/client/index.js', 'dist/src/index.d.ts', 'dist/src/client/index.d.ts', 'package.json', 'README.md']) {
      expect(shipped).toContain(file);
    }
    const plans = shipped.filter((f) => /^migrations-plan\/[^/]+\.json$/.test(f));
    expect(plans.length).toBe(7);
    expect(shipped.filter((f) => f.startsWith('test/') || f.includes('/test/'))).toEqual([]);
    expect(shipped.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    expect(shipped.filter((f) => f.endsWith('.map'))).toEqual([]);
  });

  it('installs into an empty project, where both entry points load and `npx switchyard --demo` serves and stops on SIGTERM', { timeout: 240_000 }, async () => {
    const app = join(work, 'app');
    await mkdir(app);
    await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'sy-pack-app', version: '1.0.0', private: true, type: 'module' }));
    await exec('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], { cwd: app, timeout: 180_000 });

    await writeFile(
      join(app, 'check.mjs'),
      [
        "import { createSwitchyard, SERVICE_IDS } from 'switchyard';",
        "import { connect } from 'switchyard/client';",
        'console.log(JSON.stringify({ createSwitchyard: typeof createSwitchyard, connect: typeof connect, services: SERVICE_IDS.length }));',
      ].join('\n'),
    );
    const { stdout } = await exec(process.execPath, ['check.mjs'], { cwd: app, timeout: 30_000 });
    expect(JSON.parse(stdout)).toEqual({ createSwitchyard: 'function', connect: 'function', services: 7 });

    // 'close' (not 'exit'): the server holds npx's pipes, so they close when the server itself has exited.
    // Its own process group, so the afterAll can end npx and the server it started, and nothing else.
    server = spawn('npx', ['--no-install', 'switchyard', '--demo', '--port', '0', '--host', '127.0.0.1'], { cwd: app, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    server.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    server.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => server!.once('close', (code, signal) => resolve({ code, signal })));
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listening line within 30 s: ${output}`)), 30_000);
      const onData = (): void => {
        const found = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
        if (!found) return;
        clearTimeout(timer);
        server!.stdout!.off('data', onData);
        resolve(Number(found[1]));
      };
      server!.stdout!.on('data', onData);
      void exited.then(({ code }) => reject(new Error(`npx switchyard exited (${code}) before listening: ${output}`)));
    });
    const ready = await fetch(`http://127.0.0.1:${port}/ready`);
    expect(await ready.json()).toMatchObject({ ready: true, plans: 7 });
    // To the group, as a terminal's Ctrl-C or a supervisor's kill would: npx runs the bin through
    // `sh -c`, which does not pass a signal sent to npx alone on to the server.
    process.kill(-server.pid!, 'SIGTERM');
    await exited;
    expect(output).toContain('"signal":"SIGTERM","msg":"shutting down"');
    await expect(fetch(`http://127.0.0.1:${port}/ready`)).rejects.toThrow();
  });
});
