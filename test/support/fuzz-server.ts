/**
 * A Switchyard in its own process, for the fuzz suite (test/fuzz/): a crash or
 * a wedged event loop is then seen as a dead or silent child, not as a dead
 * test worker. Started with `fork(..., { execArgv: ['--import', 'tsx', '--expose-gc'] })`.
 *
 * It listens on an ephemeral 127.0.0.1 port with a flag source (so the admin
 * API exists, behind FUZZ_ADMIN_TOKEN) and tells the parent its port over IPC
 * (`{type:'listening', port}`, also printed as `FUZZ_PORT=<port>`). It answers
 * `{type:'heap'}` with `{type:'heap', heapUsed}` measured after a full GC.
 *
 * Stages: every service is on `socketio`, so both front doors accept clients
 * (legacy clients through the adapter), except legacy clients whose client id
 * starts with `fuzz-legacy-`, which the hand-written legacy handlers serve; the
 * fuzzers reach both code paths on one server.
 */
import { pino } from 'pino';
import type { FlagContext } from '../../src/flags/flag-source.js';
import { OverrideFlagSource } from '../../src/flags/override-flag-source.js';
import { PlanFlagSource } from '../../src/flags/plan-flag-source.js';
import type { Stage } from '../../src/flags/stage.js';
import { createSwitchyard } from '../../src/server/app.js';
import { SERVICE_IDS, type ServiceId } from '../../src/registry/contracts.js';

export const FUZZ_ADMIN_TOKEN = 'fuzz-admin-token';
export const LEGACY_HANDLER_CLIENT_PREFIX = 'fuzz-legacy-';

/** The plan source, with one sticky exception: `fuzz-legacy-*` clients stay on the legacy handlers. */
class FuzzPlanFlags extends PlanFlagSource {
  override stageFor(service: ServiceId, context: FlagContext): Stage {
    if (context.clientId?.startsWith(LEGACY_HANDLER_CLIENT_PREFIX)) return 'legacy';
    return super.stageFor(service, context);
  }
}

export interface HeapReply {
  type: 'heap';
  heapUsed: number;
}

async function main(): Promise<void> {
  const defaults = Object.fromEntries(SERVICE_IDS.map((id) => [id, 'socketio'])) as Record<ServiceId, Stage>;
  const flags = new OverrideFlagSource(new FuzzPlanFlags({ defaults }));
  await flags.start();
  const sy = await createSwitchyard({
    // Errors only, to stderr: the parent shows the tail when the child dies.
    logger: pino({ level: process.env.SWITCHYARD_TEST_LOG ?? 'silent' }, pino.destination(2)),
    flags,
    adminToken: FUZZ_ADMIN_TOKEN,
  });
  const address = await sy.listen(0, '127.0.0.1');
  process.on('message', (message: unknown) => {
    if ((message as { type?: unknown }).type !== 'heap') return;
    // Run with --expose-gc; without it the figure includes garbage, still bounded.
    globalThis.gc?.();
    const reply: HeapReply = { type: 'heap', heapUsed: process.memoryUsage().heapUsed };
    process.send?.(reply);
  });
  if (!process.send) process.stdout.write(`FUZZ_PORT=${address.port}\n`);
  process.send?.({ type: 'listening', port: address.port });
  // The parent going away (its IPC channel closes) ends this process too.
  process.on('disconnect', () => {
    void sy.close().finally(() => process.exit(0));
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`fuzz server failed to start: ${String((error as Error).stack ?? error)}\n`);
  process.exit(1);
});
