import { afterEach, describe, expect, it } from 'vitest';
import type { SentMessage } from '../../../src/client/index.js';
import type { ChatMessage } from '../../../src/services/agent-chat/events.js';
import type { Stage } from '../../../src/flags/stage.js';
import { ADMIN_TOKEN, overridableFlags } from '../../support/flags.js';
import { api, startServer, until, type TestServer } from '../../support/harness.js';
import { SdkClients, untilJournal } from './sdk-support.js';

const SESSION = 'c4a70000-0000-4000-8000-000000000001';

describe('SDK chat: offline queue, idempotent retries', () => {
  let server: TestServer;
  let clients: SdkClients;
  afterEach(async () => {
    clients.closeAll();
    await server.close();
  });
  const boot = async (stage: Stage): Promise<void> => {
    server = await startServer({ services: ['agent-chat'], flags: overridableFlags(stage), adminToken: ADMIN_TOKEN });
    clients = new SdkClients(server);
    const res = await api(server.url, 'POST', '/api/producer/agent-chat/sessions', { session_id: SESSION });
    expect(res.status).toBe(201);
  };
  const storedUserMessages = async (): Promise<ChatMessage[]> => {
    const res = await api(server.url, 'GET', `/api/producer/agent-chat/sessions/${SESSION}`);
    return (res.body as { messages: ChatMessage[] }).messages.filter((m) => m.sender === 'user');
  };
  const chatClient = (options: { random?: () => number; baseMs?: number } = {}) => {
    const client = clients.connect({ service: 'agent-chat', params: { session_id: SESSION }, random: options.random, backoff: { baseMs: options.baseMs ?? 20, capMs: 1000 }, ackTimeoutMs: 500 });
    const echoes: string[] = [];
    client.on('new_message', (p) => echoes.push(p.message.id));
    return { client, echoes };
  };

  it('messages sent while disconnected are delivered once, in order, after the reconnect', async () => {
    await boot('socketio');
    // random ≈ 1 and base 400 ms: the reconnect waits ~400 ms, long enough to send while offline.
    const { client, echoes } = chatClient({ random: () => 0.999, baseMs: 400 });
    expect(await client.whenConnected()).toBe('socketio');
    server.sy.io.of('/chat').disconnectSockets(true);
    await until(() => client.state.state === 'reconnecting', 3000, 'offline');
    const sends = ['one', 'two', 'three'].map((text) => client.sendMessage(text));
    expect(client.queued).toBe(3);
    const sent: SentMessage[] = await Promise.all(sends);
    expect(sent.map((s) => s.transport)).toEqual(['socketio', 'socketio', 'socketio']);
    const stored = await storedUserMessages();
    expect(stored.map((m) => m.content)).toEqual(['one', 'two', 'three']);
    expect(stored.map((m) => m.id)).toEqual(sent.map((s) => s.id));
    // The welcome message came in session_history; each sent message comes back once as new_message.
    await until(() => echoes.length === 3, 3000, 'echoes');
    expect(echoes).toEqual(sent.map((s) => s.id));
    expect(client.queued).toBe(0);
  });

  it('a send whose ack is lost with the connection is stored and shown once', async () => {
    await boot('socketio');
    let cut = false;
    server.sy.hub.onBroadcast((service, event) => {
      // Cut every /chat socket right after the message is stored and broadcast, before its ack leaves.
      if (service === 'agent-chat' && event.event === 'new_message' && !cut) {
        cut = true;
        server.sy.io.of('/chat').disconnectSockets(true);
      }
    });
    const { client, echoes } = chatClient({ random: () => 0 });
    await client.whenConnected();
    const sent = await client.sendMessage('ack lost');
    expect(cut).toBe(true);
    expect((await storedUserMessages()).map((m) => m.id)).toEqual([sent.id]);
    await untilJournal(client, (j) => j.states.filter((s) => s.state === 'connected').length === 2, 'reconnected');
    expect(echoes.filter((id) => id === sent.id)).toHaveLength(1);
  });

  it('on legacy, a message goes over the REST route once', async () => {
    await boot('legacy');
    const { client, echoes } = chatClient();
    expect(await client.whenConnected()).toBe('legacy');
    const sent = await client.sendMessage('over rest', { context: { page: 'docs' } });
    expect(sent.transport).toBe('legacy');
    const stored = await storedUserMessages();
    expect(stored.map((m) => m.content)).toEqual(['over rest']);
    await until(() => echoes.length === 1, 3000, 'echo over legacy');
    expect(echoes).toEqual([stored[0]!.id]);
  });

  it('the outbox is bounded, and close() rejects what is still queued', async () => {
    await boot('socketio');
    const url = server.url;
    await server.close();
    server = { ...server, close: async () => {} };
    const client = clients.connect({ url, service: 'agent-chat', params: { session_id: SESSION }, transports: ['socketio'], outboxLimit: 2, backoff: { baseMs: 1000 } });
    const first = client.sendMessage('a');
    const second = client.sendMessage('b');
    await expect(client.sendMessage('c')).rejects.toMatchObject({ code: 'OUTBOX_FULL' });
    client.close();
    await expect(first).rejects.toMatchObject({ code: 'CLIENT_CLOSED' });
    await expect(second).rejects.toMatchObject({ code: 'CLIENT_CLOSED' });
  });
});
