/**
 * Bench child for the switch- and resume-time scenario (switch-time.ts): one
 * Switchyard serving crawl-progress with stages from admin overrides (as
 * `SWITCHYARD_ADMIN_TOKEN` + `PUT /api/admin/stages/:service` in production),
 * publishing into the bench room, reporting how long the StageController took
 * to re-decide every open connection, and cutting raw TCP connections on
 * request. Driven over IPC.
 */
import type { Duplex } from 'node:stream';
import { pino } from 'pino';
import type { Switchyard } from '../../src/server/app.js';
import { createSwitchyard } from '../../src/server/app.js';
import { overridableFlags } from '../support/flags.js';
import { now, publishPaced, serve } from './ipc.js';
import { benchPayload as payload } from './payload.js';
import { FANOUT_PROGRESS_ID, type PublishResult, type StageReport, type SwitchServerApi } from './protocol.js';
import { crawlRoom } from './targets.js';

const room = crawlRoom(FANOUT_PROGRESS_ID);
let sy: Switchyard | undefined;
let changedAt = 0;
let reevaluatedAt = 0;
/** Open upgrades (URL and raw socket); destroyed ones are pruned on every cut. Bounded by the open connections. */
let upgrades: Array<{ url: string; socket: Duplex }> = [];

function requireServer(): Switchyard {
  if (!sy) throw new Error('server not started');
  return sy;
}

serve<SwitchServerApi>({
  async start({ adminToken, stage }) {
    if (sy) throw new Error('already started');
    const flags = overridableFlags(stage);
    // Listeners run in registration order: this one before the StageController's (added by
    // createSwitchyard), the one below after it, so the two stamps bracket the re-evaluation.
    flags.on('changed', () => {
      changedAt = now();
    });
    sy = await createSwitchyard({
      services: ['crawl-progress'], flags, adminToken, logger: pino({ level: 'silent' }),
      // Up to 1000 clients and a full-speed producer, all from 127.0.0.1: the per-address limits would measure themselves.
      limits: { connectionsPerAddress: 0, producerRequestsPerSecond: 0 },
    });
    flags.on('changed', () => {
      reevaluatedAt = now();
    });
    // A second 'upgrade' listener that only records (Switchyard's router stays the only one that answers).
    sy.httpServer.on('upgrade', (req, socket: Duplex) => {
      upgrades.push({ url: req.url ?? '', socket });
    });
    const address = await sy.listen(0, '127.0.0.1');
    return { port: address.port };
  },

  async paced({ run, events, ratePerSec }): Promise<PublishResult & { head: number }> {
    const s = requireServer();
    const result = await publishPaced(events, ratePerSec, (i) => s.hub.publish('crawl-progress', room, 'progress_update', payload(run, i, events)));
    return { ...result, head: s.hub.head(room) };
  },

  stageReport(): StageReport {
    const last = requireServer().stages?.lastSwitch;
    if (!last) throw new Error('no stage change yet');
    return { changedAt, reevaluatedAt, durationMs: last.durationMs, legacySwitched: last.legacySwitched, socketIoDisconnected: last.socketIoDisconnected };
  },

  cut({ pathPrefix, urlIncludes, missed, run }) {
    const s = requireServer();
    upgrades = upgrades.filter((u) => !u.socket.destroyed);
    const cutAt = now();
    let cut = 0;
    for (const u of upgrades) {
      if (!u.url.startsWith(pathPrefix) || !u.url.includes(urlIncludes)) continue;
      u.socket.destroy();
      cut++;
    }
    // Same tick: the clients cannot be back yet, so these must come from the resume.
    for (let i = 0; i < missed; i++) s.hub.publish('crawl-progress', room, 'progress_update', payload(run, i, missed));
    return { cutAt, cut, head: s.hub.head(room) };
  },

  cpu() {
    const usage = process.cpuUsage();
    return { micros: usage.user + usage.system };
  },

  async stop() {
    await sy?.close();
    sy = undefined;
    setTimeout(() => process.exit(0), 20);
    return undefined;
  },
});
