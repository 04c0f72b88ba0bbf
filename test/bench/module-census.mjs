/**
 * Preloaded by the start-up bench's census run: writes one "census <file>"
 * line to stderr per module file loaded (ESM through a resolve hook, CommonJS
 * through Module._load), so the bench can count which dependencies a fresh
 * server loads. The bench dedupes by file.
 */
import { createRequire, register } from 'node:module';

register(new URL('./module-census-hook.mjs', import.meta.url));
const Module = createRequire(import.meta.url)('node:module');
const load = Module._load;
Module._load = function patched(request, parent, isMain) {
  const result = load.apply(this, [request, parent, isMain]);
  try {
    const file = Module._resolveFilename(request, parent);
    if (file.includes('/')) process.stderr.write(`census ${file}\n`);
  } catch {
    // An unresolvable optional dependency: nothing was loaded.
  }
  return result;
};
