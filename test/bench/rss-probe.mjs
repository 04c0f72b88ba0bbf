/**
 * Preloaded (`node --expose-gc --import ./rss-probe.mjs <server>`) into every
 * server the start-up bench measures, so each is sampled the same way: on an
 * IPC message `{ op: 'sample', gc }` it answers its process.memoryUsage() and
 * young/old generation sizes, after a forced full GC when `gc` is true.
 * Plain JS on purpose: a TypeScript loader would weigh on what it measures.
 */
import { getHeapSpaceStatistics } from 'node:v8';

function spaces() {
  const out = {};
  for (const s of getHeapSpaceStatistics()) out[s.space_name] = s.physical_space_size;
  return out;
}

process.on('message', (message) => {
  if (!message || message.op !== 'sample') return;
  if (message.gc && typeof globalThis.gc === 'function') for (let k = 0; k < 4; k++) globalThis.gc();
  const { rss, heapUsed, heapTotal, external } = process.memoryUsage();
  const s = spaces();
  process.send?.({ op: 'sample', rss, heapUsed, heapTotal, external, newSpace: s.new_space ?? 0, oldSpace: s.old_space ?? 0, codeSpace: s.code_space ?? 0 });
});
// The IPC channel must not keep a server alive once the bench is gone.
process.on('disconnect', () => process.exit(0));
