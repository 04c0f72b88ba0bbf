import { afterEach, describe, expect, it } from 'vitest';
import type { FetchLike } from '../../../src/client/index.js';
import type { Stage } from '../../../src/flags/stage.js';
import { ADMIN_TOKEN, overridableFlags } from '../../support/flags.js';
import { startServer, until, type TestServer } from '../../support/harness.js';
import { SdkClients, setStage, untilJournal } from './sdk-support.js';

const ID = '5d0c0000-0000-4000-8000-000000000003';

/** Discovery that answers as if the stage were still another one (a stale cache, a race with a flip). */
function staleDiscovery(transport: 'socketio' | 'legacy'): FetchLike {
  return async (input, init) => {
    const res = await fetch(input, init);
    const body = (await res.json()) as Record<string, unknown>;
    return { ok: res.ok, status: res.status, json: async () => ({ ...body, transport }) };
  };
}

describe('SDK terminal codes and refusals', () => {
  let server: TestServer;
  let clients: SdkClients;
  afterEach(async () => {
    clients.closeAll();
    await server.close();
  });
  const boot = async (stage: Stage, services: Array<'crawl-progress' | 'agent-chat'> = ['crawl-progress']): Promise<void> => {
    server = await startServer({ services, flags: overridableFlags(stage), adminToken: ADMIN_TOKEN });
    clients = new SdkClients(server);
  };

  it('a retired legacy endpoint (4410) is terminal for a legacy-only client', async () => {
    await boot('retired');
    const client = clients.connect({ service: 'crawl-progress', params: { progress_id: ID }, transports: ['legacy'] });
    await expect(client.whenConnected()).rejects.toMatchObject({ code: 'SERVICE_RETIRED', closeCode: 4410 });
    expect(client.journal.states).toEqual([
      { state: 'connecting' },
      { state: 'failed', code: 'SERVICE_RETIRED', message: 'crawl-progress moved to Socket.IO', closeCode: 4410 },
    ]);
  });

  it('a retired legacy endpoint sends a client that may use Socket.IO there at once', async () => {
    await boot('retired');
    const client = clients.connect({ service: 'crawl-progress', params: { progress_id: ID }, fetch: staleDiscovery('legacy') });
    expect(await client.whenConnected()).toBe('socketio');
    expect(client.journal.states).toEqual([
      { state: 'connecting' },
      { state: 'switching', from: null, to: 'socketio', reason: 'SERVICE_RETIRED' },
      { state: 'connected', transport: 'socketio' },
    ]);
  });

  it('a Socket.IO refusal (SERVICE_ON_LEGACY) sends the client to the legacy endpoint at once', async () => {
    await boot('legacy');
    const client = clients.connect({ service: 'crawl-progress', params: { progress_id: ID }, fetch: staleDiscovery('socketio') });
    expect(await client.whenConnected()).toBe('legacy');
    expect(client.journal.states[1]).toEqual({ state: 'switching', from: null, to: 'legacy', reason: 'SERVICE_ON_LEGACY' });
  });

  it('a Socket.IO-only client retries SERVICE_ON_LEGACY with backoff until the cut-over', async () => {
    await boot('legacy');
    const client = clients.connect({ service: 'crawl-progress', params: { progress_id: ID }, transports: ['socketio'], backoff: { baseMs: 40, capMs: 40 } });
    await untilJournal(client, (j) => j.states.filter((s) => s.state === 'reconnecting').length >= 2, 'retrying');
    expect(client.journal.states[1]).toMatchObject({ state: 'reconnecting', attempt: 1, reason: 'SERVICE_ON_LEGACY' });
    await setStage(server, 'crawl-progress', 'socketio');
    expect(await client.whenConnected()).toBe('socketio');
  });

  it('a live legacy client moves to Socket.IO when the service is retired under it', async () => {
    await boot('legacy');
    const client = clients.connect({ service: 'crawl-progress', params: { progress_id: ID } });
    expect(await client.whenConnected()).toBe('legacy');
    await setStage(server, 'crawl-progress', 'retired');
    await untilJournal(client, (j) => j.transports.length === 2, 'moved');
    expect(client.transport).toBe('socketio');
  });

  it('a refused join (unknown chat session) is terminal', async () => {
    await boot('socketio', ['agent-chat']);
    const client = clients.connect({ service: 'agent-chat', params: { session_id: 'no-such-session' } });
    await expect(client.whenConnected()).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(client.state).toMatchObject({ state: 'failed', code: 'NOT_FOUND' });
  });

  it('an unknown service answer from discovery is terminal', async () => {
    await boot('socketio');
    // agent-chat is not served by this server: discovery answers UNKNOWN_SERVICE (404).
    const client = clients.connect({ service: 'agent-chat', params: { session_id: 's' } });
    await until(() => client.state.state === 'failed', 3000, 'failed');
    expect(client.state).toMatchObject({ state: 'failed', code: 'UNKNOWN_SERVICE' });
  });

  it('close() stops everything and reports closed', async () => {
    await boot('socketio');
    const client = clients.connect({ service: 'crawl-progress', params: { progress_id: ID } });
    await client.whenConnected();
    client.close();
    expect(client.state).toEqual({ state: 'closed' });
    expect(server.sy.io.of('/crawl').sockets.size).toBeLessThanOrEqual(1);
    await until(() => server.sy.io.of('/crawl').sockets.size === 0, 3000, 'socket gone');
  });
});
