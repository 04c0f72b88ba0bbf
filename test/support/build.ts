import { execFile } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Newest modification time under `dir` (recursive), 0 when it does not exist. */
async function newest(dir: string): Promise<number> {
  let latest = 0;
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    latest = Math.max(latest, (await stat(join(entry.parentPath, entry.name))).mtimeMs);
  }
  return latest;
}

/**
 * `npm start` and the packed tarball run `dist/`: build it when it is missing
 * or older than the sources, so those tests never run yesterday's code.
 */
export async function ensureBuild(): Promise<void> {
  const built = await stat(join(ROOT, 'dist/src/cli.js')).then((s) => s.mtimeMs, () => 0);
  const sources = Math.max(...(await Promise.all(['src', 'legacy', 'migrations-plan'].map((d) => newest(join(ROOT, d))))));
  if (built > sources) return;
  await promisify(execFile)('npm', ['run', 'build'], { cwd: ROOT, timeout: 170_000 });
}
