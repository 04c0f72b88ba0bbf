/**
 * The code's layering, checked: no run-time import cycle between folders
 * (type-only imports are erased and do not count), and no deep import into a
 * dependency's files (only its package entry points).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import madge from 'madge';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

let graph: Record<string, string[]>;
beforeAll(async () => {
  const options = {
    baseDir: ROOT,
    fileExtensions: ['ts'],
    tsConfig: `${ROOT}/tsconfig.json`,
    detectiveOptions: { ts: { skipTypeImports: true }, tsx: { skipTypeImports: true } },
  };
  graph = (await madge(['src', 'legacy'], options)).obj();
}, 60_000);

/** Folder → folders it imports at run time. */
function folderGraph(): Map<string, Set<string>> {
  const folders = new Map<string, Set<string>>();
  for (const [file, deps] of Object.entries(graph)) {
    const from = dirname(file);
    const set = folders.get(from) ?? new Set<string>();
    folders.set(from, set);
    for (const dep of deps) if (dirname(dep) !== from) set.add(dirname(dep));
  }
  return folders;
}

/** One cycle through `folders`, as a path, or undefined. */
function findCycle(folders: Map<string, Set<string>>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === 'open') return [...path.slice(path.indexOf(node)), node];
    if (state.get(node) === 'done') return undefined;
    state.set(node, 'open');
    path.push(node);
    for (const next of folders.get(node) ?? []) {
      const found = visit(next);
      if (found) return found;
    }
    path.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of folders.keys()) {
    const found = visit(node);
    if (found) return found;
  }
  return undefined;
}

describe('imports', () => {
  it('read the sources (the graph is not empty)', () => {
    expect(Object.keys(graph)).toContain('src/registry/contracts.ts');
    expect(graph['src/registry/services.ts']).toContain('legacy/crawl-progress.ts');
  });

  it('have no run-time cycle between folders', () => {
    expect(findCycle(folderGraph())).toBeUndefined();
  });

  it('reach dependencies only through their package entry points', () => {
    // A bare specifier with a path inside the package (`pkg/lib/x.js`, `@scope/pkg/dist/x`) is a deep import.
    const deep = Object.keys(graph).flatMap((file) =>
      [...readFileSync(join(ROOT, file), 'utf8').matchAll(/(?:from |import\(|require\()'(@[^/']+\/[^/']+|[^@./'][^/']*)\/([^']+)'/g)]
        .filter((m) => !m[1]!.startsWith('node:'))
        .map((m) => `${file} → ${m[1]}/${m[2]}`));
    expect(deep).toEqual([]);
  });
});
