import { randomUUID } from 'node:crypto';
import { pythonLocalIso } from '../../domain/clock.js';
import { SwitchyardError } from '../../errors/catalogue.js';
import type { ServiceContext } from '../service-module.js';
import { embeddedStore, type EntityMap } from '../../domain/entity-store.js';
import { assertCapacity, ByteBudget, DEFAULT_STORAGE_LIMITS, IdleExpiry, type StorageLimits } from '../storage-limits.js';
import { WELCOME_TEXT, chatRoom, type AgentType, type ChatMessage, type ChatSessionView } from './events.js';
import { publisherFor } from '../../domain/publisher.js';
import { agentChat } from './contract.js';

/** Memory bounds of the chat domain. */
export interface AgentChatOptions {
  /** Messages kept per session; older ones are dropped. Default 500. */
  maxHistory?: number;
  /** Message ids remembered per session to drop repeated sends. Default 1000. */
  dedupeWindow?: number;
  /** Live sessions; creating one more is refused (429 CAPACITY_EXCEEDED). Default: `StorageLimits.maxEntities`. */
  maxSessions?: number;
}

/** What a user message tells the agent backend (and the demo agent). */
export interface UserMessageEvent {
  session_id: string;
  agent_type: AgentType;
  message: ChatMessage;
  context: Record<string, unknown> | undefined;
}

/**
 * The outcome of a post. For a repeated id, `message` is the earlier one
 * (undefined once it has left the bounded history).
 */
export interface PostResult {
  id: string;
  duplicate: boolean;
  message: ChatMessage | undefined;
}

interface SessionState {
  readonly view: ChatSessionView;
  /** Ids already stored, oldest first; bounded by `dedupeWindow`. Owned by the domain. */
  readonly seen: Set<string>;
  /** UTF-8 bytes of the history's messages as JSON, bounded by `entityBytes` (the oldest messages go). */
  bytes: number;
}

/**
 * Chat sessions, as the legacy `ChatSessionManager` kept them, plus what the
 * Socket.IO side needs: bounded history and idempotent sends (a client may
 * repeat a send after a reconnect; the message is stored and broadcast once).
 */
export class AgentChatDomain {
  readonly #ctx: ServiceContext;
  readonly #sessions: EntityMap<SessionState>;
  readonly #listeners = new Set<(event: UserMessageEvent) => void>();
  readonly #maxHistory: number;
  readonly #dedupeWindow: number;
  readonly #maxSessions: number;
  readonly #limits: StorageLimits;
  readonly #idle: IdleExpiry;
  readonly #budget: ByteBudget;

  constructor(ctx: ServiceContext, options: AgentChatOptions = {}) {
    this.#ctx = ctx;
    this.#limits = ctx.storage ?? DEFAULT_STORAGE_LIMITS;
    this.#budget = new ByteBudget(this.#limits.serviceBytes, 'chat sessions');
    // A session nobody posts to or joins for the idle TTL is dropped with its room.
    this.#idle = new IdleExpiry(this.#limits.idleTtlMs, ctx.clock, (id) => this.#forget(id));
    this.#maxHistory = Math.max(options.maxHistory ?? 500, 1);
    // Never shorter than the history, so an id still in the history is never stored twice.
    this.#dedupeWindow = Math.max(options.dedupeWindow ?? 1000, this.#maxHistory);
    this.#maxSessions = Math.max(options.maxSessions ?? this.#limits.maxEntities, 1);
    const store = ctx.store ?? embeddedStore;
    // Sessions, their history and their seen message ids: shared by every node in cluster mode.
    this.#sessions = store.map('agent-chat');
    store.onRemoteChange('agent-chat', (id) => {
      if (this.#sessions.has(id)) this.#idle.touch(id);
    });
  }

  /** Create a session that starts with the agent's welcome message (legacy `create_session`). */
  createSession(input: { project_id?: string | null; agent_type?: AgentType; session_id?: string }): ChatSessionView {
    const sessionId = input.session_id ?? randomUUID();
    if (this.#sessions.has(sessionId)) throw new SwitchyardError('INVALID_PAYLOAD', `chat session ${sessionId} already exists`);
    // Refused rather than evicting the oldest: a flood of creations must not end other people's sessions.
    assertCapacity(this.#sessions.size, this.#maxSessions, 'chat sessions');
    const agentType = input.agent_type ?? 'docs';
    const now = this.#now();
    const welcome: ChatMessage = { id: randomUUID(), content: WELCOME_TEXT, sender: 'agent', timestamp: now, agent_type: agentType };
    const view: ChatSessionView = { session_id: sessionId, project_id: input.project_id ?? null, messages: [welcome], agent_type: agentType, created_at: now };
    const bytes = messageBytes(welcome);
    this.#budget.check(sessionId, bytes);
    this.#budget.set(sessionId, bytes);
    this.#sessions.set(sessionId, { view, seen: new Set([welcome.id]), bytes });
    this.#idle.touch(sessionId);
    return view;
  }

  has(sessionId: string): boolean {
    return this.#sessions.has(sessionId);
  }

  /** The session with its (bounded) history, or undefined. Read-only: callers must not mutate it. */
  get(sessionId: string): Readonly<ChatSessionView> | undefined {
    return this.#sessions.get(sessionId)?.view;
  }

  /** A copy of the session's messages, oldest first. */
  history(sessionId: string): ChatMessage[] {
    const messages = [...this.#require(sessionId).view.messages];
    // Read when a client joins: a session people open is in use.
    this.#idle.touch(sessionId);
    return messages;
  }

  /** A user message (REST or Socket.IO `send_message`): stored, broadcast, then handed to the agent listeners. */
  postUserMessage(sessionId: string, content: string, options: { id?: string; context?: Record<string, unknown> } = {}): PostResult {
    const state = this.#require(sessionId);
    const result = this.#post(state, { id: options.id, content, sender: 'user', agent_type: null });
    if (!result.duplicate && result.message) {
      const event: UserMessageEvent = { session_id: sessionId, agent_type: state.view.agent_type, message: result.message, context: options.context };
      for (const listener of this.#listeners) listener(event);
    }
    return result;
  }

  /** An agent reply (producer API): `agent_type` defaults to the session's. */
  postAgentMessage(sessionId: string, content: string, options: { id?: string; agent_type?: string } = {}): PostResult {
    const state = this.#require(sessionId);
    return this.#post(state, { id: options.id, content, sender: 'agent', agent_type: options.agent_type ?? state.view.agent_type });
  }

  /** The agent started (true) or finished (false) working on a reply. */
  setTyping(sessionId: string, isTyping: boolean): void {
    this.#require(sessionId);
    publisherFor(this.#ctx.hub, agentChat).publish(chatRoom(sessionId), 'typing', { session_id: sessionId, is_typing: isTyping });
  }

  /** Be told of every new user message (the agent backend's seam); returns an unsubscribe function. */
  onUserMessage(listener: (event: UserMessageEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  close(): void {
    this.#listeners.clear();
    this.#idle.close();
  }

  /** Sessions held, for tests and metrics. */
  get size(): number {
    return this.#sessions.size;
  }

  #post(state: SessionState, input: { id: string | undefined; content: string; sender: ChatMessage['sender']; agent_type: string | null }): PostResult {
    const { view, seen } = state;
    if (input.id !== undefined && seen.has(input.id)) {
      return { id: input.id, duplicate: true, message: view.messages.find((m) => m.id === input.id) };
    }
    const message: ChatMessage = { id: input.id ?? randomUUID(), content: input.content, sender: input.sender, timestamp: this.#now(), agent_type: input.agent_type };
    const added = messageBytes(message);
    // What the session may hold after trimming, at most: checked before anything changes.
    this.#budget.check(view.session_id, Math.min(state.bytes + added, Math.max(this.#limits.entityBytes, added)));
    view.messages.push(message);
    state.bytes += added;
    let drop = Math.max(0, view.messages.length - this.#maxHistory);
    for (let i = 0; i < drop; i++) state.bytes -= messageBytes(view.messages[i]!);
    while (drop < view.messages.length - 1 && state.bytes > this.#limits.entityBytes) state.bytes -= messageBytes(view.messages[drop++]!);
    if (drop > 0) view.messages.splice(0, drop);
    this.#budget.set(view.session_id, state.bytes);
    this.#idle.touch(view.session_id);
    seen.add(message.id);
    if (seen.size > this.#dedupeWindow) seen.delete(seen.values().next().value!);
    publisherFor(this.#ctx.hub, agentChat).publish(chatRoom(view.session_id), 'new_message', { session_id: view.session_id, message: { ...message } });
    return { id: message.id, duplicate: false, message };
  }

  #require(sessionId: string): SessionState {
    const state = this.#sessions.get(sessionId);
    if (!state) throw new SwitchyardError('NOT_FOUND', `unknown chat session ${sessionId}`);
    return state;
  }

  #forget(sessionId: string): void {
    this.#idle.forget(sessionId);
    this.#sessions.delete(sessionId);
    this.#budget.delete(sessionId);
    this.#ctx.hub.dropRoom(chatRoom(sessionId));
  }

  #now(): string {
    return pythonLocalIso(this.#ctx.clock());
  }
}

/** A stored message's size: its JSON in UTF-8 bytes. */
function messageBytes(message: ChatMessage): number {
  return Buffer.byteLength(JSON.stringify(message));
}
