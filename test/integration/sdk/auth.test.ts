import { SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { jwtVerifier } from '../../../src/auth/verifier.js';
import type { Stage } from '../../../src/flags/stage.js';
import { crawlRoom } from '../../../src/services/crawl-progress/events.js';
import { ADMIN_TOKEN, overridableFlags } from '../../support/flags.js';
import { startServer, type TestServer } from '../../support/harness.js';
import { SdkClients, untilJournal } from './sdk-support.js';

const ID = '5d0c0000-0000-4000-8000-00000000a0a0';
const SECRET = 'sdk-test-secret-sdk-test-secret-sdk-test';

function token(sub: string): Promise<string> {
  return new SignJWT({ sub }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('5m').sign(new TextEncoder().encode(SECRET));
}

describe('SDK with client authentication on', () => {
  let server: TestServer;
  let clients: SdkClients;
  afterEach(async () => {
    clients.closeAll();
    await server.close();
  });

  const boot = async (stage: Stage): Promise<void> => {
    server = await startServer({ services: ['crawl-progress'], flags: overridableFlags(stage), adminToken: ADMIN_TOKEN, verifyClient: jwtVerifier({ secret: SECRET }) });
    clients = new SdkClients(server);
    server.sy.hub.publish('crawl-progress', crawlRoom(ID), 'progress_update', { progressId: ID, status: 'crawling', percentage: 1, logs: [] });
  };

  for (const stage of ['socketio', 'legacy'] as const) {
    it(`connects on ${stage} with its token (discovery, then the transport) and receives events`, async () => {
      await boot(stage);
      const jwt = await token('sdk-user');
      const client = clients.connect({ service: 'crawl-progress', params: { progress_id: ID }, token: () => jwt });
      expect(await client.whenConnected()).toBe(stage);
      server.sy.hub.publish('crawl-progress', crawlRoom(ID), 'progress_update', { progressId: ID, status: 'crawling', percentage: 2, logs: [] });
      await untilJournal(client, (j) => j.received.some((r) => !r.snapshot), 'a live event');
    });
  }

  it('fails with UNAUTHORIZED, without retrying, when it has no token', async () => {
    await boot('socketio');
    const client = clients.connect({ service: 'crawl-progress', params: { progress_id: ID } });
    await untilJournal(client, (j) => j.states.some((s) => s.state === 'failed'), 'failed state');
    expect(client.state).toMatchObject({ state: 'failed', code: 'UNAUTHORIZED' });
  });

  it('a Socket.IO-only client without a token is refused with UNAUTHORIZED by the namespace', async () => {
    await boot('socketio');
    const client = clients.connect({ service: 'crawl-progress', params: { progress_id: ID }, transports: ['socketio'] });
    await untilJournal(client, (j) => j.states.some((s) => s.state === 'failed'), 'failed state');
    expect(client.state).toMatchObject({ state: 'failed', code: 'UNAUTHORIZED' });
  });
});
