import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FetchLike } from '../../../src/client/index.js';
import { ADMIN_TOKEN, overridableFlags } from '../../support/flags.js';
import { api, startServer, type TestServer } from '../../support/harness.js';
import { SdkClients, liveSeqs, setStage, untilJournal } from './sdk-support.js';

const ID = '5d0c0000-0000-4000-8000-000000000001';

describe('SDK on crawl-progress follows the stage', () => {
  let server: TestServer;
  let clients: SdkClients;
  let step = 0;
  const produce = async (): Promise<number> => {
    step++;
    const res = await api(server.url, 'POST', `/api/producer/crawl-progress/${ID}/progress`, { status: 'crawling', percentage: step, log: `step ${step}` });
    expect(res.status).toBe(200);
    return step;
  };

  beforeEach(async () => {
    step = 0;
    server = await startServer({ services: ['crawl-progress'], flags: overridableFlags('legacy'), adminToken: ADMIN_TOKEN });
    clients = new SdkClients(server);
    await api(server.url, 'POST', '/api/producer/crawl-progress', { progressId: ID, currentUrl: 'https://a.example/' });
  });
  afterEach(async () => {
    clients.closeAll();
    await server.close();
  });

  it('starts on legacy, moves to Socket.IO on the notice, falls back to legacy, every event once and in order', async () => {
    const client = clients.connect({ service: 'crawl-progress', params: { progress_id: ID } });
    expect(await client.whenConnected()).toBe('legacy');
    const percentages: number[] = [];
    client.on('progress_update', (p) => {
      if (p.status === 'crawling') percentages.push(p.percentage);
    });
    await untilJournal(client, (j) => j.received.length >= 1, 'snapshot');
    expect(client.journal.received[0]).toMatchObject({ event: 'progress_update', seq: 1, snapshot: true, transport: 'legacy' });

    const expected: number[] = [];
    expected.push(await produce(), await produce());
    await setStage(server, 'crawl-progress', 'socketio');
    expected.push(await produce());
    await untilJournal(client, (j) => j.transports.length === 2, 'moved to socketio');
    expected.push(await produce(), await produce());
    await setStage(server, 'crawl-progress', 'legacy');
    expected.push(await produce());
    await untilJournal(client, (j) => j.transports.length === 3, 'fell back to legacy');
    expected.push(await produce(), await produce());
    await untilJournal(client, () => percentages.length === expected.length, 'all events');

    expect(percentages).toEqual(expected);
    expect(client.journal.transports).toEqual([
      { from: null, to: 'legacy' }, { from: 'legacy', to: 'socketio' }, { from: 'socketio', to: 'legacy' },
    ]);
    const seqs = liveSeqs(client);
    expect(seqs).toEqual(seqs.map((_, i) => 2 + i));
    expect(client.journal.resyncs).toEqual([]);
    expect(client.journal.warnings).toEqual([]);
    expect(client.journal.states.map((s) => s.state)).toEqual(['connecting', 'connected', 'switching', 'connected', 'switching', 'connected']);
  });

  it('a stage flip between discovery and the legacy open still moves the client: the server notices it at open', async () => {
    await setStage(server, 'crawl-progress', 'socketio');
    let calls = 0;
    // The first discovery answer predates the flip: it still says legacy.
    const fetchStaleOnce: FetchLike = async (input, init) => {
      const res = await fetch(input, init);
      const body = (await res.json()) as Record<string, unknown>;
      return { ok: res.ok, status: res.status, json: async () => (calls++ === 0 ? { ...body, transport: 'legacy' } : body) };
    };
    const client = clients.connect({ service: 'crawl-progress', params: { progress_id: ID }, fetch: fetchStaleOnce });
    expect(await client.whenConnected()).toBe('legacy');
    await untilJournal(client, (j) => j.transports.length === 2, 'moved to socketio');
    expect(client.transport).toBe('socketio');
    const n = await produce();
    await untilJournal(client, (j) => j.received.some((r) => r.seq === n + 1 && r.transport === 'socketio'), 'event on socketio');
    expect(liveSeqs(client)).toEqual([n + 1]);
  });
});
