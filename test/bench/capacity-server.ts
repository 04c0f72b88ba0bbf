/**
 * Capacity bench child: the built Switchyard (dist/, as `npm start` runs it)
 * with every service, silent logs and the per-address connection limit set by
 * the bench (0: all the bench's connections come from a few loopback
 * addresses). Reports memory, open connections and event-loop delay
 * (perf_hooks monitorEventLoopDelay) over IPC.
 */
import { readdirSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { Switchyard, SwitchyardOptions } from '../../src/server/app.js';
import { serve, sleep } from './ipc.js';
import type { CapacityServerApi, CapacityServerStats } from './capacity-protocol.js';

const DIST_INDEX = fileURLToPath(new URL('../../dist/src/index.js', import.meta.url));
let sy: Switchyard | undefined;
const RESOLUTION_MS = 10;
const loop = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
loop.enable();

/** The histogram records the time between samples; the delay is what exceeds the sampling interval. */
const ms = (ns: number): number => Math.max(0, ns / 1e6 - RESOLUTION_MS);

serve<CapacityServerApi>({
  async start({ connectionsPerAddress }) {
    if (sy) throw new Error('already started');
    const [{ createSwitchyard }, { pino }] = await Promise.all([
      import(DIST_INDEX) as Promise<{ createSwitchyard: (options: SwitchyardOptions) => Promise<Switchyard> }>,
      import('pino'),
    ]);
    sy = await createSwitchyard({ logger: pino({ level: 'silent' }), limits: { connectionsPerAddress } });
    const address = await sy.listen(0, '127.0.0.1');
    return { port: address.port };
  },

  async stats({ gc }): Promise<CapacityServerStats> {
    if (!sy) throw new Error('not started');
    const collect = (globalThis as { gc?: () => void }).gc;
    if (gc && collect) {
      for (let k = 0; k < 4; k++) {
        collect();
        await sleep(25);
      }
    }
    const memory = process.memoryUsage();
    let legacy = 0;
    for (const _ of sy.legacySessions()) legacy++;
    return {
      rss: memory.rss,
      heapUsed: memory.heapUsed,
      external: memory.external,
      legacy,
      socketIo: sy.io.engine.clientsCount,
      fds: readdirSync('/proc/self/fd').length,
      loop: { p50: ms(loop.percentile(50)), p99: ms(loop.percentile(99)), max: ms(loop.max), mean: ms(loop.mean) },
    };
  },

  resetLoop() {
    loop.reset();
    return undefined;
  },

  async stop() {
    await sy?.close();
    setImmediate(() => process.exit(0));
    return undefined;
  },
});
