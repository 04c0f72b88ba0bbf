/**
 * A Switchyard restart on the same port: SDK clients reconnect on their own,
 * and since the new process has none of the old in-memory history, their
 * resume must come back as a fresh snapshot, reported as a resync, never as a
 * silent gap. On both transports.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SwitchyardClient } from '../../../src/client/index.js';
import type { Stage } from '../../../src/flags/stage.js';
import { crawlRoom } from '../../../src/services/crawl-progress/events.js';
import { ADMIN_TOKEN, overridableFlags } from '../../support/flags.js';
import { api, startServer, until, type ListenOptions, type TestServer } from '../../support/harness.js';
import { SdkClients, sequenceGaps, summarize, untilJournal } from './sdk-support.js';

const ID = '5e570000-0000-4000-8000-000000000001';
const ROOM = crawlRoom(ID);

const ok = async (request: Promise<{ status: number; body: unknown }>): Promise<void> => {
  const res = await request;
  if (res.status >= 300) throw new Error(`producer call failed: ${res.status} ${JSON.stringify(res.body)}`);
};

describe('SDK across a server restart on the same port', () => {
  let server: TestServer | undefined;
  let clients: SdkClients | undefined;
  afterEach(async () => {
    clients?.closeAll();
    await server?.close();
    server = undefined;
    clients = undefined;
  });

  const boot = async (stage: Stage, listen: ListenOptions = {}): Promise<TestServer> =>
    startServer({ services: ['crawl-progress'], flags: overridableFlags(stage), adminToken: ADMIN_TOKEN }, listen);
  const progress = (target: TestServer, n: number): Promise<void> =>
    ok(api(target.url, 'POST', `/api/producer/crawl-progress/${ID}/progress`, { status: 'crawling', percentage: n, log: `restart ${n}` }));

  /** First life: a client joined and caught up to seq 5; then the process stops. */
  const firstLife = async (stage: Stage): Promise<{ client: SwitchyardClient<'crawl-progress'>; port: number }> => {
    server = await boot(stage);
    clients = new SdkClients(server);
    await ok(api(server.url, 'POST', '/api/producer/crawl-progress', { progressId: ID })); // seq 1
    const client = clients.connect({ service: 'crawl-progress', params: { progress_id: ID } });
    expect(await client.whenConnected()).toBe(stage);
    for (let n = 1; n <= 4; n++) await progress(server, n); // seq 2..5
    await untilJournal(client, () => client.lastSeq === 5, 'caught up before the restart');
    const port = Number(new URL(server.url).port);
    await server.close();
    server = undefined;
    await until(() => client.state.state === 'reconnecting', 5000, `client noticed the restart (${summarize(client)})`);
    return { client, port };
  };

  for (const stage of ['socketio', 'legacy'] as const) {
    it(`${stage}: reconnects to the restarted server and resyncs from a fresh snapshot`, async () => {
      const { client, port } = await firstLife(stage);
      const receivedBefore = client.journal.received.length;

      server = await boot(stage, { port });
      // The producer re-creates its entity on the new process (seq 1 there) and goes on (seq 2, 3).
      // The client may rejoin before or after the re-creation: either way its `since` (5) is ahead.
      await ok(api(server.url, 'POST', '/api/producer/crawl-progress', { progressId: ID }));
      for (let n = 1; n <= 2; n++) await progress(server, n);
      const live = server;
      await untilJournal(client, () => client.lastSeq === live.sy.hub.head(ROOM) && client.state.state === 'connected', 'back at the new head', 10_000);

      expect(client.transport).toBe(stage);
      expect(client.journal.resyncs, summarize(client)).toHaveLength(1);
      const [resync] = client.journal.resyncs;
      expect(resync).toMatchObject({ room: ROOM, since: 5, transport: stage });
      expect(resync!.seq).toBeLessThanOrEqual(3);
      // The resync is followed by the new server's snapshot, then its live events, contiguous.
      const after = client.journal.received.slice(receivedBefore);
      expect(after[0], summarize(client)).toMatchObject({ snapshot: true, seq: resync!.seq, transport: stage });
      expect(after.filter((r) => !r.snapshot).map((r) => r.seq)).toEqual(Array.from({ length: 3 - resync!.seq }, (_, i) => resync!.seq + 1 + i));
      expect(sequenceGaps(client.journal.received), summarize(client)).toEqual([]);
      expect(client.journal.warnings.filter((w) => w.code === 'SEQUENCE_GAP' || w.code === 'FRAME_UNDECODABLE')).toEqual([]);
      expect(client.journal.states.map((s) => s.state)).toContain('reconnecting');
    });

    // Sequence numbers restart with the process. A new process whose head has
    // already passed the client's `since` must not "resume" from another
    // history: the epoch the client sends back does not match, so it resyncs.
    it(`${stage}: a restarted server already past the client's seq still resyncs (no silent gap)`, async () => {
      const { client, port } = await firstLife(stage);
      // The new process has published 8 events of its own before it accepts the client.
      server = await boot(stage, {
        port,
        beforeListen: (sy) => {
          for (let i = 0; i < 8; i++) sy.hub.publish('crawl-progress', ROOM, 'progress_update', { progressId: ID, status: 'crawling', percentage: i, logs: [] });
        },
      });
      const live = server;
      await untilJournal(client, () => client.lastSeq === live.sy.hub.head(ROOM) && client.state.state === 'connected', 'back at the new head', 10_000);
      expect(client.journal.resyncs, summarize(client)).toHaveLength(1);
      expect(client.journal.resyncs[0]).toMatchObject({ room: ROOM, since: 5, seq: 8, transport: stage });
    });
  }
});
