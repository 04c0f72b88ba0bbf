import { afterEach, describe, expect, it } from 'vitest';
import type { Stage } from '../../../src/flags/stage.js';
import { crawlRoom } from '../../../src/services/crawl-progress/events.js';
import { FreezingProxy } from '../../support/freezing-proxy.js';
import { ADMIN_TOKEN, overridableFlags } from '../../support/flags.js';
import { api, startServer, until, type TestServer } from '../../support/harness.js';
import { SdkClients, liveSeqs, untilJournal } from './sdk-support.js';

const ID = '5d0c0000-0000-4000-8000-00000000f00f';
const ROOM = crawlRoom(ID);

/**
 * A connection that goes silent without closing (frozen by a proxy) is
 * noticed by the SDK within its documented bound on both transports, and the
 * client reconnects and resumes with no gap.
 */
describe('SDK notices a half-open connection', () => {
  let server: TestServer;
  let proxy: FreezingProxy;
  let clients: SdkClients;
  afterEach(async () => {
    clients.closeAll();
    await proxy.close();
    await server.close();
  });

  const boot = async (stage: Stage): Promise<void> => {
    server = await startServer({
      services: ['crawl-progress'], flags: overridableFlags(stage), adminToken: ADMIN_TOKEN,
      socketIoPing: { intervalMs: 200, timeoutMs: 200 },
    });
    proxy = await FreezingProxy.start(Number(new URL(server.url).port));
    clients = new SdkClients(server);
    await api(server.url, 'POST', '/api/producer/crawl-progress', { progressId: ID });
  };
  const publish = (n: number): void => {
    for (let i = 0; i < n; i++) server.sy.hub.publish('crawl-progress', ROOM, 'progress_update', { progressId: ID, status: 'crawling', percentage: i, logs: [] });
  };

  it('legacy: no pong to its ping within idle + timeout → reconnect through a fresh connection, resumed without a gap', async () => {
    await boot('legacy');
    const liveness = { idleMs: 300, timeoutMs: 300 };
    const client = clients.connect({ url: proxy.url, service: 'crawl-progress', params: { progress_id: ID }, transports: ['legacy'], liveness, random: () => 0 });
    expect(await client.whenConnected()).toBe('legacy');
    publish(2);
    await untilJournal(client, (j) => j.received.length === 3, 'live frames');
    expect(proxy.freeze()).toBe(1);
    publish(3);
    // Bound: idleMs + timeoutMs, plus the reconnect itself (generous for a loaded machine).
    await untilJournal(client, (j) => j.received.length === 6, 'frames resumed after the silent link was dropped', liveness.idleMs + liveness.timeoutMs + 4000);
    expect(liveSeqs(client)).toEqual([2, 3, 4, 5, 6]);
    expect(client.journal.resyncs).toEqual([]);
    expect(client.journal.states.map((s) => s.state)).toEqual(['connecting', 'connected', 'reconnecting', 'connected']);
    expect(client.journal.states[2]).toMatchObject({ reason: 'TRANSPORT_LOST' });
  });

  it('legacy: a link that keeps answering is not dropped', async () => {
    await boot('legacy');
    const client = clients.connect({ url: proxy.url, service: 'crawl-progress', params: { progress_id: ID }, transports: ['legacy'], liveness: { idleMs: 100, timeoutMs: 200 } });
    expect(await client.whenConnected()).toBe('legacy');
    // Several probe rounds (each a `ping` the server answers with pong), past idle + timeout more than once.
    const before = proxy.upstreamChunks;
    await until(() => proxy.upstreamChunks >= before + 4, 5000, 'four liveness probes');
    publish(1);
    await untilJournal(client, (j) => j.received.length === 2, 'live frame');
    expect(client.journal.states.map((s) => s.state)).toEqual(['connecting', 'connected']);
  });

  it('Socket.IO: engine.io\'s heartbeat ends the silent connection within pingInterval + pingTimeout, then resume', async () => {
    await boot('socketio');
    const client = clients.connect({ url: proxy.url, service: 'crawl-progress', params: { progress_id: ID }, transports: ['socketio'], random: () => 0 });
    expect(await client.whenConnected()).toBe('socketio');
    publish(2);
    await untilJournal(client, (j) => j.received.length === 3, 'live events');
    expect(proxy.freeze()).toBe(1);
    publish(3);
    await untilJournal(client, (j) => j.received.length === 6, 'events resumed after the silent link was dropped', 200 + 200 + 4000);
    expect(liveSeqs(client)).toEqual([2, 3, 4, 5, 6]);
    expect(client.journal.resyncs).toEqual([]);
    expect(client.journal.states.map((s) => s.state)).toEqual(['connecting', 'connected', 'reconnecting', 'connected']);
  });
});
