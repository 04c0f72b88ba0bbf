import { pino } from 'pino';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadPlans } from '../../../src/adapter/plan-loader.js';
import type { ServicePlan } from '../../../src/adapter/plan-schema.js';
import { pythonLocalIso } from '../../../src/domain/clock.js';
import type { RoomEvent } from '../../../src/domain/event-log.js';
import { MemoryEventLog } from '../../../src/domain/memory-event-log.js';
import { RoomHub } from '../../../src/domain/room-hub.js';
import { DEMO_SESSION_ID, chatDemo } from '../../../src/services/agent-chat/demo.js';
import { AgentChatDomain, type AgentChatOptions, type UserMessageEvent } from '../../../src/services/agent-chat/domain.js';
import { WELCOME_TEXT } from '../../../src/services/agent-chat/events.js';

const NOW = Date.UTC(2025, 5, 19, 14, 2, 11, 482);
let plan: ServicePlan;
beforeAll(async () => {
  plan = (await loadPlans(undefined, ['agent-chat'])).get('agent-chat')!;
});

function setup(options: AgentChatOptions = {}): { domain: AgentChatDomain; hub: RoomHub; published: RoomEvent[] } {
  const hub = new RoomHub(new MemoryEventLog());
  const published: RoomEvent[] = [];
  hub.onBroadcast((_service, event) => published.push(event));
  const domain = new AgentChatDomain({ hub, clock: () => NOW, logger: pino({ level: 'silent' }), plan }, options);
  return { domain, hub, published };
}

describe('AgentChatDomain', () => {
  it('starts a session with the welcome message, keys in the legacy order', () => {
    const { domain, published } = setup();
    const session = domain.createSession({ agent_type: 'rag', project_id: 'p-1' });
    expect(Object.keys(session)).toEqual(['session_id', 'project_id', 'messages', 'agent_type', 'created_at']);
    expect(session.messages).toEqual([{ id: expect.any(String), content: WELCOME_TEXT, sender: 'agent', timestamp: pythonLocalIso(NOW), agent_type: 'rag' }]);
    expect(Object.keys(session.messages[0]!)).toEqual(['id', 'content', 'sender', 'timestamp', 'agent_type']);
    expect(published).toEqual([]);
  });

  it('publishes user and agent messages and typing to the session room', () => {
    const { domain, published } = setup();
    const { session_id } = domain.createSession({ session_id: 's-1' });
    domain.postUserMessage(session_id, 'hi', { id: 'u-1' });
    domain.setTyping(session_id, true);
    domain.postAgentMessage(session_id, 'hello', { id: 'a-1' });
    expect(published.map((e) => [e.room, e.seq, e.event])).toEqual([
      ['session_s-1', 1, 'new_message'], ['session_s-1', 2, 'typing'], ['session_s-1', 3, 'new_message'],
    ]);
    expect(published[0]!.payload).toEqual({ session_id: 's-1', message: { id: 'u-1', content: 'hi', sender: 'user', timestamp: pythonLocalIso(NOW), agent_type: null } });
    expect(published[2]!.payload).toMatchObject({ message: { sender: 'agent', agent_type: 'docs' } });
  });

  it('stores and publishes a repeated id once, and tells the agent listeners once', () => {
    const { domain, published } = setup();
    domain.createSession({ session_id: 's-1' });
    const heard: UserMessageEvent[] = [];
    domain.onUserMessage((event) => heard.push(event));
    expect(domain.postUserMessage('s-1', 'once', { id: 'x', context: { page: 1 } })).toMatchObject({ id: 'x', duplicate: false });
    expect(domain.postUserMessage('s-1', 'once', { id: 'x' })).toMatchObject({ id: 'x', duplicate: true, message: { content: 'once' } });
    domain.postAgentMessage('s-1', 'reply');
    expect(published).toHaveLength(2);
    expect(heard).toEqual([{ session_id: 's-1', agent_type: 'docs', message: expect.objectContaining({ id: 'x' }), context: { page: 1 } }]);
  });

  it('bounds the history and the remembered ids', () => {
    const { domain } = setup({ maxHistory: 2, dedupeWindow: 2 });
    domain.createSession({ session_id: 's-1' });
    for (const id of ['a', 'b', 'c']) domain.postUserMessage('s-1', id, { id });
    expect(domain.history('s-1').map((m) => m.id)).toEqual(['b', 'c']);
    // 'a' left both the history and the dedupe window: it is new again.
    expect(domain.postUserMessage('s-1', 'a', { id: 'a' }).duplicate).toBe(false);
    expect(domain.postUserMessage('s-1', 'c', { id: 'c' }).duplicate).toBe(true);
  });

  it('refuses a session beyond maxSessions, and keeps the ones it has', () => {
    const { domain } = setup({ maxSessions: 2 });
    for (const id of ['s-1', 's-2']) domain.createSession({ session_id: id });
    expect(() => domain.createSession({ session_id: 's-3' })).toThrow(expect.objectContaining({ code: 'CAPACITY_EXCEEDED' }));
    expect([domain.has('s-1'), domain.has('s-2'), domain.has('s-3')]).toEqual([true, true, false]);
    expect(domain.postUserMessage('s-1', 'hi').duplicate).toBe(false);
    expect(() => domain.createSession({ session_id: 's-2' })).toThrow(expect.objectContaining({ code: 'INVALID_PAYLOAD' }));
  });
});

describe('chatDemo', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('answers a user message with typing true, typing false, then a reply', () => {
    vi.useFakeTimers();
    const { domain, published } = setup();
    const stop = chatDemo(domain, { replyDelayMs: 100, chatterEveryMs: 60_000 });
    expect(domain.has(DEMO_SESSION_ID)).toBe(true);
    domain.postUserMessage(DEMO_SESSION_ID, 'hello');
    vi.advanceTimersByTime(150);
    expect(published.map((e) => (e.event === 'typing' ? `typing ${String(e.payload.is_typing)}` : (e.payload.message as { sender: string }).sender)))
      .toEqual(['user', 'typing true', 'typing false', 'agent']);
    stop();
    domain.postUserMessage(DEMO_SESSION_ID, 'anyone?');
    vi.advanceTimersByTime(60_000);
    expect(published).toHaveLength(5);
  });
});
