import type { Socket } from 'socket.io-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pythonLocalIso } from '../../../src/domain/clock.js';
import { WELCOME_TEXT, type ChatMessage } from '../../../src/services/agent-chat/events.js';
import { overridableFlags } from '../../support/flags.js';
import { api, nextEvent, recordEvents, startServer, until, type TestServer } from '../../support/harness.js';

const SESSION = '5b1f3a2e-8d4c-4f7e-9a61-2c0b9e7d4f10';
const PATH = `/api/agent-chat/sessions/${SESSION}/ws`;
// A pinned clock makes every server-made timestamp predictable.
const NOW = Date.UTC(2025, 5, 19, 14, 2, 11, 482);
const TS = pythonLocalIso(NOW);
const CONFIRMED = `{"type":"connection_confirmed","data":{"session_id":"${SESSION}","status":"connected"}}`;

function messageWire(message: ChatMessage): string {
  return `{"type":"message","data":{"id":"${message.id}","content":${JSON.stringify(message.content)},"sender":"${message.sender}","timestamp":"${message.timestamp}","agent_type":${JSON.stringify(message.agent_type)}}}`;
}

describe.each(['legacy', 'adapter'] as const)('agent-chat with the legacy endpoint served in %s mode', (mode) => {
  let server: TestServer;
  let welcome: ChatMessage;

  beforeEach(async () => {
    server = await startServer({
      services: ['agent-chat'],
      heartbeatIntervals: { 'agent-chat': 100 },
      clock: () => NOW,
      legacyMode: () => mode,
    });
    const created = await api(server.url, 'POST', '/api/producer/agent-chat/sessions', { session_id: SESSION, agent_type: 'docs' });
    expect(created.status).toBe(201);
    welcome = (created.body as { messages: ChatMessage[] }).messages[0]!;
  });
  afterEach(async () => {
    await server.close();
  });

  async function joined(): Promise<Socket> {
    const socket = await server.sio('/chat');
    const history = nextEvent<{ messages: ChatMessage[] }>(socket, 'session_history');
    expect(await socket.emitWithAck('join_session', { session_id: SESSION })).toMatchObject({ ok: true, room: `session_${SESSION}` });
    await history;
    return socket;
  }

  it('refuses the handshake of an unknown session with HTTP 403, and the Socket.IO join with NOT_FOUND', async () => {
    await expect(server.legacy('/api/agent-chat/sessions/no-such-session/ws')).rejects.toMatchObject({ status: 403 });
    const socket = await server.sio('/chat');
    expect(await socket.emitWithAck('join_session', { session_id: 'no-such-session' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  });

  it('confirms a first connection without history, and replays the history to a second one', async () => {
    const first = await server.legacy(PATH);
    expect(await first.nextEvent()).toBe(CONFIRMED);
    expect(first.frames.filter((f) => !f.includes('heartbeat'))).toEqual([CONFIRMED]);

    const posted = await api(server.url, 'POST', `/api/agent-chat/sessions/${SESSION}/messages`, { message: 'Draft a PRD for the login flow' });
    expect(posted).toEqual({ status: 200, body: { success: true, message: 'Message sent successfully' } });
    const echo = await first.nextEvent();
    const stored = (await api(server.url, 'GET', `/api/agent-chat/sessions/${SESSION}`)).body as { success: boolean; session: { messages: ChatMessage[] } };
    const [, user] = stored.session.messages;
    expect(Object.keys(user!)).toEqual(['id', 'content', 'sender', 'timestamp', 'agent_type']);
    expect(echo).toBe(messageWire({ id: user!.id, content: 'Draft a PRD for the login flow', sender: 'user', timestamp: TS, agent_type: null }));

    const second = await server.legacy(PATH);
    expect(await second.nextEvent()).toBe(messageWire(welcome));
    expect(await second.nextEvent()).toBe(echo);
    expect(await second.nextEvent()).toBe(CONFIRMED);
  });

  it('delivers user and agent messages and typing to legacy and Socket.IO subscribers in the same order', async () => {
    const legacy = await server.legacy(PATH);
    expect(await legacy.nextEvent()).toBe(CONFIRMED);
    const socket = await server.sio('/chat');
    const history = nextEvent<{ session_id: string; messages: ChatMessage[]; seq: number }>(socket, 'session_history');
    const ack = await socket.emitWithAck('join_session', { session_id: SESSION });
    expect(ack).toEqual({ ok: true, room: `session_${SESSION}`, seq: 0, epoch: expect.any(String) });
    expect(await history).toEqual({ session_id: SESSION, messages: [welcome], seq: 0 });
    const seen = recordEvents(socket, ['new_message', 'typing']);

    expect(await socket.emitWithAck('send_message', { session_id: SESSION, message: 'Hi there', id: 'client-1' })).toEqual({ ok: true, id: 'client-1' });
    await api(server.url, 'POST', `/api/producer/agent-chat/sessions/${SESSION}/typing`, { is_typing: true });
    const reply = await api(server.url, 'POST', `/api/producer/agent-chat/sessions/${SESSION}/messages`, { content: 'Hello! ✨', id: 'agent-1' });
    expect(reply).toMatchObject({ status: 201, body: { id: 'agent-1', duplicate: false } });
    await api(server.url, 'POST', `/api/producer/agent-chat/sessions/${SESSION}/typing`, { is_typing: false });

    const user: ChatMessage = { id: 'client-1', content: 'Hi there', sender: 'user', timestamp: TS, agent_type: null };
    const agent: ChatMessage = { id: 'agent-1', content: 'Hello! ✨', sender: 'agent', timestamp: TS, agent_type: 'docs' };
    expect([await legacy.nextEvent(), await legacy.nextEvent(), await legacy.nextEvent(), await legacy.nextEvent()]).toEqual([
      messageWire(user),
      '{"type":"typing","data":{"is_typing":true}}',
      messageWire(agent),
      '{"type":"typing","data":{"is_typing":false}}',
    ]);
    await until(() => seen.length === 4, 3000, 'four Socket.IO events');
    expect(seen).toEqual([
      { event: 'new_message', payload: { session_id: SESSION, message: user, seq: 1 } },
      { event: 'typing', payload: { session_id: SESSION, is_typing: true, seq: 2 } },
      { event: 'new_message', payload: { session_id: SESSION, message: agent, seq: 3 } },
      { event: 'typing', payload: { session_id: SESSION, is_typing: false, seq: 4 } },
    ]);
    expect(Object.keys(seen[0]!.payload.message as object)).toEqual(['id', 'content', 'sender', 'timestamp', 'agent_type']);
  });

  it('stores and broadcasts a repeated client id once, and requires a join before sending', async () => {
    const legacy = await server.legacy(PATH);
    await legacy.nextEvent();
    const outsider = await server.sio('/chat');
    expect(await outsider.emitWithAck('send_message', { session_id: SESSION, message: 'x' })).toMatchObject({ ok: false, error: { code: 'NOT_JOINED' } });

    const socket = await joined();
    const seen = recordEvents(socket, ['new_message']);
    expect(await socket.emitWithAck('send_message', { session_id: SESSION, message: 'once', id: 'dup-1' })).toEqual({ ok: true, id: 'dup-1' });
    expect(await socket.emitWithAck('send_message', { session_id: SESSION, message: 'once', id: 'dup-1' })).toEqual({ ok: true, id: 'dup-1', duplicate: true });
    const fresh = await socket.emitWithAck('send_message', { session_id: SESSION, message: 'next' });
    expect(fresh).toMatchObject({ ok: true, id: expect.any(String) });

    expect(JSON.parse(await legacy.nextEvent())).toMatchObject({ data: { id: 'dup-1', content: 'once' } });
    expect(JSON.parse(await legacy.nextEvent())).toMatchObject({ data: { id: fresh.id, content: 'next' } });
    await until(() => seen.length === 2, 3000, 'two messages');
    expect(seen.map((e) => (e.payload.message as ChatMessage).id)).toEqual(['dup-1', fresh.id]);
    const { body } = await api(server.url, 'GET', `/api/producer/agent-chat/sessions/${SESSION}`);
    expect((body as { messages: ChatMessage[] }).messages.map((m) => m.content)).toEqual([WELCOME_TEXT, 'once', 'next']);

    expect(await socket.emitWithAck('leave_session', { session_id: SESSION })).toEqual({ ok: true });
    expect(await socket.emitWithAck('send_message', { session_id: SESSION, message: 'x' })).toMatchObject({ ok: false, error: { code: 'NOT_JOINED' } });
  });

  it('takes the same client id over the legacy REST route and Socket.IO, storing it once; legacy answers stay as they were', async () => {
    const legacy = await server.legacy(PATH);
    await legacy.nextEvent();
    const route = `/api/agent-chat/sessions/${SESSION}/messages`;
    expect(await api(server.url, 'POST', route, { message: 'plain' })).toEqual({ status: 200, body: { success: true, message: 'Message sent successfully' } });
    expect(await api(server.url, 'POST', route, { message: 'kept', id: 'rest-1' })).toEqual({ status: 200, body: { success: true, message: 'Message sent successfully', id: 'rest-1', duplicate: false } });
    expect(await api(server.url, 'POST', route, { message: 'kept', id: 'rest-1' })).toMatchObject({ status: 200, body: { id: 'rest-1', duplicate: true } });
    const socket = await joined();
    expect(await socket.emitWithAck('send_message', { session_id: SESSION, message: 'kept', id: 'rest-1' })).toEqual({ ok: true, id: 'rest-1', duplicate: true });

    expect(JSON.parse(await legacy.nextEvent())).toMatchObject({ data: { content: 'plain' } });
    expect(JSON.parse(await legacy.nextEvent())).toMatchObject({ data: { id: 'rest-1', content: 'kept' } });
    const { body } = await api(server.url, 'GET', `/api/producer/agent-chat/sessions/${SESSION}`);
    expect((body as { messages: ChatMessage[] }).messages.map((m) => m.content)).toEqual([WELCOME_TEXT, 'plain', 'kept']);
  });

  it('resumes a Socket.IO join with since: the missed messages instead of the history', async () => {
    const socket = await joined();
    await socket.emitWithAck('send_message', { session_id: SESSION, message: 'seen', id: 'm-1' });
    socket.disconnect();
    await api(server.url, 'POST', `/api/producer/agent-chat/sessions/${SESSION}/messages`, { content: 'missed', id: 'm-2' });

    const again = await server.sio('/chat');
    const seen = recordEvents(again, ['session_history', 'new_message']);
    expect(await again.emitWithAck('join_session', { session_id: SESSION, since: 1 })).toMatchObject({ ok: true, resumed: true, replayed: 1 });
    await until(() => seen.length === 1, 3000, 'the replayed message');
    expect(seen).toEqual([{ event: 'new_message', payload: { session_id: SESSION, message: expect.objectContaining({ id: 'm-2' }), seq: 2 } }]);
  });

  it('answers the raw text ping with pong, ignores the JSON ping, and beats on its cadence', async () => {
    const legacy = await server.legacy(PATH);
    await legacy.nextEvent();
    legacy.send('{"type":"ping"}');
    legacy.send('ping');
    expect(await legacy.next((f) => f.includes('pong'))).toBe('{"type":"pong"}');
    expect(await legacy.next((f) => f.includes('heartbeat'), 1000)).toBe('{"type":"heartbeat"}');
    expect(await legacy.next((f) => f.includes('heartbeat'), 1000)).toBe('{"type":"heartbeat"}');
    expect(legacy.frames.filter((f) => !/heartbeat|pong/.test(f))).toEqual([CONFIRMED]);
  });

  it('rejects bad bodies with 400 JSON, unknown sessions with 404, bad Socket.IO payloads with an ack error', async () => {
    const badType = await api(server.url, 'POST', '/api/agent-chat/sessions', { agent_type: 'poet' });
    expect(badType).toMatchObject({ status: 400, body: { error: { code: 'INVALID_PAYLOAD' } } });
    const noText = await api(server.url, 'POST', `/api/agent-chat/sessions/${SESSION}/messages`, { context: {} });
    expect(noText).toMatchObject({ status: 400, body: { error: { code: 'INVALID_PAYLOAD' } } });
    const badTyping = await api(server.url, 'POST', `/api/producer/agent-chat/sessions/${SESSION}/typing`, { is_typing: 'yes' });
    expect(badTyping).toMatchObject({ status: 400, body: { error: { code: 'INVALID_PAYLOAD' } } });
    expect(await api(server.url, 'GET', '/api/agent-chat/sessions/nope')).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    const unknownReply = await api(server.url, 'POST', '/api/producer/agent-chat/sessions/nope/messages', { content: 'hi' });
    expect(unknownReply).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });

    const created = await api(server.url, 'POST', '/api/agent-chat/sessions?agent_type=rag', {});
    expect(created).toMatchObject({ status: 200, body: { success: true, session_id: expect.any(String), message: 'Chat session created successfully' } });
    const session = (await api(server.url, 'GET', `/api/agent-chat/sessions/${(created.body as { session_id: string }).session_id}`)).body;
    expect(session).toMatchObject({ success: true, session: { agent_type: 'rag', project_id: null, messages: [{ sender: 'agent', agent_type: 'rag', timestamp: TS }] } });

    const socket = await server.sio('/chat');
    expect(await socket.emitWithAck('join_session', { session: SESSION })).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
    expect(await socket.emitWithAck('send_message', { session_id: SESSION, message: '' })).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
    expect(await socket.emitWithAck('join_session', { session_id: SESSION })).toMatchObject({ ok: true });
  });
});

describe('agent-chat in the shadow stage', () => {
  it('finds the adapter producing exactly the legacy endpoint\'s frames, history replay included', async () => {
    const server = await startServer({ services: ['agent-chat'], flags: overridableFlags('shadow'), clock: () => NOW });
    try {
      await api(server.url, 'POST', '/api/producer/agent-chat/sessions', { session_id: SESSION });
      const first = await server.legacy(PATH);
      await api(server.url, 'POST', `/api/agent-chat/sessions/${SESSION}/messages`, { message: 'hi' });
      await api(server.url, 'POST', `/api/producer/agent-chat/sessions/${SESSION}/typing`, { is_typing: true });
      const second = await server.legacy(PATH);
      expect(await second.next((f) => f.includes('connection_confirmed'))).toBe(CONFIRMED);
      await first.next((f) => f.includes('typing'));
      const report = (): { matches: number; mismatches: number } => server.sy.stages!.shadow.report('agent-chat');
      // Two openings and two events (one of them delivered to one socket when it came).
      await until(() => report().matches >= 4, 3000, 'shadow comparisons');
      expect(report()).toMatchObject({ mismatches: 0 });
    } finally {
      await server.close();
    }
  });
});
