/**
 * The embedded mode loads no Redis client: cluster mode's modules are reached
 * only through a dynamic import when `--redis-url` / `SwitchyardOptions.cluster`
 * is set. Checked on the static run-time import graph from the entry points
 * (type-only imports are erased and do not count).
 */
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const STATEMENT = /^\s*(?:import|export)\s+(?!type\s)([^;]*?)\s+from\s+'([^']+)'|^\s*import\s+'([^']+)'/gms;

/** Whether every name in `{ … }` is `type X`: then the statement is erased too. */
function typeOnly(clause: string): boolean {
  const braces = /^\{([^}]*)\}$/s.exec(clause.trim());
  if (!braces) return false;
  const names = braces[1]!.split(',').map((name) => name.trim()).filter(Boolean);
  return names.length > 0 && names.every((name) => name.startsWith('type '));
}

/** File (relative to the root) → the packages and files it imports statically at run time. */
function staticGraph(entry: string): { files: Set<string>; packages: Map<string, string> } {
  const files = new Set<string>();
  const packages = new Map<string, string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    const source = readFileSync(join(ROOT, file), 'utf8');
    for (const match of source.matchAll(STATEMENT)) {
      const clause = match[1] ?? '';
      const target = match[2] ?? match[3]!;
      if (match[1] !== undefined && typeOnly(clause)) continue;
      if (target.startsWith('.')) visit(relative(ROOT, join(ROOT, dirname(file), target.replace(/\.js$/, '.ts'))));
      else if (!packages.has(target)) packages.set(target, file);
    }
  };
  visit(entry);
  return { files, packages };
}

describe('embedded mode', () => {
  for (const entry of ['src/cli.ts', 'src/index.ts']) {
    it(`${entry} imports no Redis client and no cluster module statically`, () => {
      const { files, packages } = staticGraph(entry);
      expect(files.size).toBeGreaterThan(10);
      expect([...packages.keys()].filter((name) => /redis/i.test(name)), 'Redis packages').toEqual([]);
      expect([...files].filter((file) => file === 'src/cluster/redis.ts' || file === 'src/cluster/control-plane.ts')).toEqual([]);
    });
  }
});
