import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * `src/cli.ts <args> --port 0` in its own process, in `cwd` (where its
 * default flags file `switchyard.flags.json` is); resolves with the port it
 * logged once it listens.
 */
export function startCli(cwd: string, env: NodeJS.ProcessEnv, args: readonly string[] = ['--demo']): Promise<{ child: ChildProcess; port: number; log: string[] }> {
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), join(REPO_ROOT, 'src/cli.ts'), ...args, '--port', '0'], { cwd, env: { ...env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const log: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`switchyard did not start within 30 s:\n${log.join('')}`)), 30_000);
    child.stderr!.on('data', (chunk: Buffer) => log.push(chunk.toString()));
    child.stdout!.on('data', (chunk: Buffer) => {
      log.push(chunk.toString());
      const port = /"port":(\d+).*Switchyard listening/.exec(chunk.toString())?.[1];
      if (port) {
        clearTimeout(timer);
        resolve({ child, port: Number(port), log });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`switchyard exited with ${code}:\n${log.join('')}`));
    });
  });
}
