import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface CliRun {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Exit code (null when killed by a signal). */
  exited: Promise<number | null>;
}

/**
 * The `switchyard` command as an operator runs it: `node --import tsx
 * src/cli.ts …` in its own process, with the environment given (nothing
 * inherited that could change its behaviour: the admin token is passed or
 * deliberately absent). Killed after `timeoutMs` so a stuck command cannot
 * hang the suite.
 */
export function runCli(args: readonly string[], env: Record<string, string | undefined> = {}, timeoutMs = 60_000): CliRun {
  const base = { ...process.env };
  delete base.SWITCHYARD_ADMIN_TOKEN;
  delete base.SWITCHYARD_URL;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: ROOT, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => {
    clearTimeout(timer);
    resolve(code);
  }));
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}
