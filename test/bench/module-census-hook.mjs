/** Resolve hook of module-census.mjs (runs on the loader thread). */
import { fileURLToPath } from 'node:url';

export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (result.url.startsWith('file:')) process.stderr.write(`census ${fileURLToPath(result.url)}\n`);
  return result;
}
