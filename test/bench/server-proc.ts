/**
 * Bench child: hosts ONE server under test (Switchyard, plain ws or plain
 * Socket.IO) and publishes the benchmark events into it, so the server's CPU
 * and memory are measured apart from the clients'. Driven by run.ts over IPC.
 */
import { now, publishPaced, serve, sleep } from './ipc.js';
import { benchPayload as payload } from './payload.js';
import { FANOUT_PROGRESS_ID, type MemorySample, type PublishResult, type ServerApi } from './protocol.js';
import { crawlRoom, startTarget, type BenchTarget } from './targets.js';

let target: BenchTarget | undefined;

function requireTarget(): BenchTarget {
  if (!target) throw new Error('server not started');
  return target;
}

const room = crawlRoom(FANOUT_PROGRESS_ID);

async function collectGarbage(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let k = 0; k < 4; k++) {
    gc?.();
    await sleep(25);
  }
}

serve<ServerApi>({
  async start({ target: kind }) {
    if (target) throw new Error('already started');
    target = await startTarget(kind);
    return { port: target.port };
  },

  async flood({ run, events, batch }): Promise<PublishResult> {
    const t = requireTarget();
    const publishStart = now();
    let i = 0;
    // Bounded by count: `events` publishes, `batch` per event-loop turn so I/O interleaves.
    while (i < events) {
      const end = Math.min(events, i + batch);
      for (; i < end; i++) t.publish(room, payload(run, i, events));
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return { publishStart, publishEnd: now(), published: i };
  },

  async paced({ run, events, ratePerSec }): Promise<PublishResult> {
    const t = requireTarget();
    return publishPaced(events, ratePerSec, (i) => t.publish(room, payload(run, i, events)));
  },

  cpu() {
    const usage = process.cpuUsage();
    return { micros: usage.user + usage.system };
  },

  async memory(): Promise<MemorySample> {
    await collectGarbage();
    const m = process.memoryUsage();
    return { heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers, rss: m.rss };
  },

  async stop() {
    await target?.close();
    target = undefined;
    // Exit after the answer is flushed (lets --cpu-prof write its profile).
    setTimeout(() => process.exit(0), 20);
    return undefined;
  },
});
