import { afterEach, describe, expect, it } from 'vitest';
import type { Stage } from '../../../src/flags/stage.js';
import { crawlRoom } from '../../../src/services/crawl-progress/events.js';
import { ADMIN_TOKEN, overridableFlags } from '../../support/flags.js';
import { api, startServer, until, type TestServer } from '../../support/harness.js';
import { SdkClients, liveSeqs, recordUpgrades, untilJournal } from './sdk-support.js';

const ID = '5d0c0000-0000-4000-8000-000000000002';
const ROOM = crawlRoom(ID);

describe('SDK reconnects and resumes after server-side disconnects', () => {
  let server: TestServer;
  let clients: SdkClients;
  afterEach(async () => {
    clients.closeAll();
    await server.close();
  });

  const boot = async (stage: Stage, maxEvents = 1000): Promise<void> => {
    server = await startServer({ services: ['crawl-progress'], flags: overridableFlags(stage), adminToken: ADMIN_TOKEN, retention: { maxEvents } });
    clients = new SdkClients(server);
    await api(server.url, 'POST', '/api/producer/crawl-progress', { progressId: ID });
  };
  // Published straight to the hub, in the same tick as the cut: the client cannot be back yet.
  const publish = (n: number): void => {
    for (let i = 0; i < n; i++) server.sy.hub.publish('crawl-progress', ROOM, 'progress_update', { progressId: ID, status: 'crawling', percentage: i, logs: [] });
  };

  it('Socket.IO: disconnectSockets → reconnect with since, the missed events exactly once', async () => {
    await boot('socketio');
    const client = clients.connect({ service: 'crawl-progress', params: { progress_id: ID }, random: () => 0 });
    expect(await client.whenConnected()).toBe('socketio');
    publish(2);
    await untilJournal(client, (j) => j.received.length === 3, 'live events');
    server.sy.io.of('/crawl').disconnectSockets(true);
    publish(3);
    await untilJournal(client, (j) => j.received.length === 6, 'replayed events');
    publish(1);
    await untilJournal(client, (j) => j.received.length === 7, 'live after resume');
    expect(liveSeqs(client)).toEqual([2, 3, 4, 5, 6, 7]);
    expect(client.journal.resyncs).toEqual([]);
    expect(client.journal.states.map((s) => s.state)).toEqual(['connecting', 'connected', 'reconnecting', 'connected']);
    expect(client.journal.states[2]).toMatchObject({ attempt: 1, delayMs: 0, reason: 'TRANSPORT_LOST' });
  });

  it('legacy: a cut TCP connection → reconnect with switchyard_since, the missed frames exactly once', async () => {
    await boot('legacy');
    const upgrades = recordUpgrades(server);
    const client = clients.connect({ service: 'crawl-progress', params: { progress_id: ID }, random: () => 0 });
    expect(await client.whenConnected()).toBe('legacy');
    publish(2);
    await untilJournal(client, (j) => j.received.length === 3, 'live frames');
    expect(upgrades.cut('/api/crawl-progress/')).toBe(1);
    publish(3);
    await untilJournal(client, (j) => j.received.length === 6, 'replayed frames');
    expect(liveSeqs(client)).toEqual([2, 3, 4, 5, 6]);
    expect(client.journal.received.every((r) => r.transport === 'legacy')).toBe(true);
    expect(client.journal.resyncs).toEqual([]);
    expect(client.journal.states.map((s) => s.state)).toEqual(['connecting', 'connected', 'reconnecting', 'connected']);
  });

  for (const stage of ['socketio', 'legacy'] as const) {
    it(`${stage}: a resume older than the retained history → resync, then the snapshot replaces state`, async () => {
      await boot(stage, 3);
      const upgrades = recordUpgrades(server);
      const client = clients.connect({ service: 'crawl-progress', params: { progress_id: ID }, random: () => 0 });
      await client.whenConnected();
      await untilJournal(client, (j) => j.received.length === 1, 'snapshot');
      const resyncs: unknown[] = [];
      client.on('resync', (info) => resyncs.push(info));
      if (stage === 'socketio') server.sy.io.of('/crawl').disconnectSockets(true);
      else upgrades.cut('/api/crawl-progress/');
      publish(6); // seq 2..7; only 5..7 retained
      await untilJournal(client, (j) => j.resyncs.length === 1 && j.received.length === 2, 'resync and snapshot');
      expect(resyncs).toEqual([{ room: ROOM, since: 1, seq: 7, transport: stage }]);
      expect(client.journal.received[1]).toMatchObject({ seq: 7, snapshot: true, transport: stage });
      publish(1);
      await untilJournal(client, (j) => j.received.length === 3, 'live after resync');
      expect(client.journal.received[2]).toMatchObject({ seq: 8, snapshot: false });
    });
  }

  it('backs off with full jitter while the server is gone, then gives up after maxAttempts', async () => {
    await boot('socketio');
    const url = server.url;
    await server.close();
    const client = clients.connect({ url, service: 'crawl-progress', params: { progress_id: ID }, random: () => 0.5, backoff: { baseMs: 10, factor: 2, capMs: 25, maxAttempts: 3 } });
    await until(() => client.state.state === 'failed', 5000, 'failed');
    expect(client.journal.states).toEqual([
      { state: 'connecting' },
      { state: 'reconnecting', attempt: 1, delayMs: 5, reason: 'DISCOVERY_FAILED' },
      { state: 'reconnecting', attempt: 2, delayMs: 10, reason: 'DISCOVERY_FAILED' },
      { state: 'reconnecting', attempt: 3, delayMs: 12, reason: 'DISCOVERY_FAILED' },
      expect.objectContaining({ state: 'failed', code: 'RECONNECT_EXHAUSTED' }),
    ]);
    // The harness closes the server again in afterEach: make that a no-op.
    server = { ...server, close: async () => {} };
  });
});
