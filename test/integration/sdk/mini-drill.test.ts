import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SwitchyardClient } from '../../../src/client/index.js';
import type { ServiceId } from '../../../src/registry/contracts.js';
import { crawlRoom } from '../../../src/services/crawl-progress/events.js';
import { LOGS_ROOM } from '../../../src/services/mcp-logs/events.js';
import { ADMIN_TOKEN, overridableFlags } from '../../support/flags.js';
import { api, startServer, until, type TestServer } from '../../support/harness.js';
import { SdkClients, recordUpgrades, sequenceGaps, setStage, summarize } from './sdk-support.js';

const CRAWLS = ['drill-a', 'drill-b', 'drill-c'];
const CLIENTS_PER_ROOM = 12;

describe('mini drill: many SDK clients, stages flipping, connections cut', () => {
  let server: TestServer;
  let clients: SdkClients;
  beforeAll(async () => {
    server = await startServer({ services: ['crawl-progress', 'mcp-logs'], flags: overridableFlags('legacy'), adminToken: ADMIN_TOKEN });
    clients = new SdkClients(server);
    for (const id of CRAWLS) await api(server.url, 'POST', '/api/producer/crawl-progress', { progressId: id });
  });
  afterAll(async () => {
    clients.closeAll();
    await server.close();
  });

  it('every client ends at the head with no gap and no duplicate', async () => {
    const upgrades = recordUpgrades(server);
    const all: Array<{ client: SwitchyardClient<ServiceId>; room: string }> = [];
    for (let i = 0; i < CLIENTS_PER_ROOM; i++) {
      for (const id of CRAWLS) all.push({ client: clients.connect({ service: 'crawl-progress', params: { progress_id: id } }) as SwitchyardClient<ServiceId>, room: crawlRoom(id) });
      all.push({ client: clients.connect({ service: 'mcp-logs', params: {} }) as SwitchyardClient<ServiceId>, room: LOGS_ROOM });
    }
    await Promise.all(all.map(({ client }) => client.whenConnected()));

    let step = 0;
    const burst = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++) {
        step++;
        await Promise.all([
          ...CRAWLS.map((id) => api(server.url, 'POST', `/api/producer/crawl-progress/${id}/progress`, { status: 'crawling', percentage: step % 100 })),
          api(server.url, 'POST', '/api/producer/mcp-logs', { level: 'INFO', message: `drill ${step}` }),
        ]);
      }
    };
    const disruptions: Array<() => Promise<unknown> | unknown> = [
      () => setStage(server, 'crawl-progress', 'socketio'),
      () => setStage(server, 'mcp-logs', 'socketio'),
      () => server.sy.io.of('/crawl').disconnectSockets(true),
      () => setStage(server, 'crawl-progress', 'legacy'),
      () => upgrades.cut('/api/'),
      () => setStage(server, 'mcp-logs', 'legacy'),
      () => setStage(server, 'crawl-progress', 'socketio'),
      () => server.sy.io.of('/logs').disconnectSockets(true),
      () => upgrades.cut('/socket.io/'),
      () => setStage(server, 'crawl-progress', 'legacy'),
    ];
    for (const disrupt of disruptions) {
      await disrupt();
      await burst(3);
    }
    await until(() => all.every(({ client, room }) => client.lastSeq === server.sy.hub.head(room)), 15_000, 'every client at its room head');

    for (const { client } of all) {
      expect(sequenceGaps(client.journal.received), summarize(client)).toEqual([]);
      // A switch cut mid-join is reported (and retried); nothing may be skipped or undecodable.
      expect(client.journal.warnings.filter((w) => w.code === 'SEQUENCE_GAP' || w.code === 'FRAME_UNDECODABLE'), summarize(client)).toEqual([]);
      expect(client.state.state).toBe('connected');
    }
    const resyncs = all.reduce((sum, { client }) => sum + client.journal.resyncs.length, 0);
    expect(resyncs).toBe(0);

    // Finally cut everything over: every client must end up on Socket.IO.
    await setStage(server, 'crawl-progress', 'socketio');
    await setStage(server, 'mcp-logs', 'socketio');
    await until(() => all.every(({ client }) => client.transport === 'socketio'), 10_000,
      `all on Socket.IO; still on legacy: ${all.filter(({ client }) => client.transport !== 'socketio').map(({ client }) => summarize(client)).join('\n')}`);
  });
});
