/**
 * The README's shell examples, run as written: every ```sh block not marked
 * `<!-- not run -->` (Producer API, the flags-file walkthrough, the admin
 * API, …), in document order, in one bash with `set -e`, against a real
 * Switchyard started the way the README starts it (`src/cli.ts --demo`,
 * `SWITCHYARD_ADMIN_TOKEN` exported, the flags file `switchyard.flags.json`
 * in the working directory). The one thing rewritten is the address: the
 * README's `127.0.0.1:8080` becomes the ephemeral port this server got.
 * `curl` runs with `--fail-with-body`, so an HTTP error fails the example.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT as ROOT, startCli } from '../support/cli-server.js';
import { codeBlocks, withCorrections, type CodeBlock } from '../support/markdown-blocks.js';

/**
 * Corrected example blocks, by section, until they are pasted into README.md.
 * Once they are, set this to undefined and delete the file.
 */
const CORRECTIONS: string | undefined = undefined;
const README_ADDRESS = '127.0.0.1:8080';

async function examples(): Promise<CodeBlock[]> {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  const blocks = CORRECTIONS === undefined ? codeBlocks(readme) : withCorrections(readme, await readFile(join(ROOT, CORRECTIONS), 'utf8'));
  return blocks.filter((b) => b.run && (b.lang === 'sh' || b.lang === 'bash'));
}

/** One bash for every block (variables carry over, as in a reader's terminal); its own process group, ended afterwards. */
function runBash(script: string, cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ code: number | null; output: string }> {
  const bash = spawn('bash', ['-c', script], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  bash.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  bash.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve) => {
    const timer = setTimeout(() => process.kill(-bash.pid!, 'SIGKILL'), timeoutMs);
    bash.once('exit', (code) => {
      clearTimeout(timer);
      // Background jobs an example started (a legacy client) go with it.
      try {
        process.kill(-bash.pid!, 'SIGTERM');
      } catch {
        // already gone
      }
      resolve({ code, output });
    });
  });
}

describe('README examples', () => {
  const token = randomBytes(12).toString('hex');
  let dir: string;
  let server: { child: ChildProcess; port: number; log: string[] };
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchyard-readme-'));
    const { PORT: _port, SWITCHYARD_FLAGS_FILE: _flags, UNLEASH_URL: _unleash, SWITCHYARD_ADMIN_TOKENS: _tokens, ...inherited } = process.env;
    // What the README has the reader do before these examples: export the admin token, run from the checkout (so `require('ws')` resolves).
    env = { ...inherited, SWITCHYARD_ADMIN_TOKEN: token, NODE_PATH: join(ROOT, 'node_modules') };
    server = await startCli(dir, env);
  }, 40_000);
  afterAll(async () => {
    server?.child.kill('SIGTERM');
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('finds the runnable examples of every section that has them', async () => {
    const sections = new Set((await examples()).map((b) => b.heading));
    for (const section of ['Producer API', 'With the flags file', 'Admin API']) expect(sections).toContain(section);
    expect(sections).not.toContain('Quick start');
    expect(sections).not.toContain('With Unleash');
  });

  it('runs every one of them, in order, successfully', { timeout: 90_000 }, async () => {
    const blocks = await examples();
    const address = `127.0.0.1:${server.port}`;
    const script = [
      'set -e -o pipefail',
      // Every HTTP error fails the example (and its body is shown); a newline after each answer keeps the transcript readable.
      'curl() { command curl --fail-with-body --no-progress-meter "$@" && echo; }',
      'trap \'echo "README example failed: $BASH_COMMAND" >&2\' ERR',
      ...blocks.map((b) => `echo '### ${b.heading} (line ${b.line})'\n${b.code.replaceAll(README_ADDRESS, address)}`),
    ].join('\n');
    const { code, output } = await runBash(script, dir, env, 80_000);
    expect(code, output).toBe(0);
    // The shadow walkthrough connects a legacy client first, so it has comparisons to show.
    const shadow = /\{"service":"agent-chat","matches":(\d+),"mismatches":(\d+)/.exec(output) ?? /"matches":(\d+),"mismatches":(\d+)/.exec(output);
    expect(shadow, output).not.toBeNull();
    if (process.env.SHOW_README_TRANSCRIPT) console.info(output);
    expect(Number(shadow![1])).toBeGreaterThan(0);
    expect(Number(shadow![2])).toBe(0);
  });
});
