import type { ServicePlan } from '../adapter/plan-schema.js';
import { withPlanDefaults } from './plans.js';
import { backoffPolicy, type BackoffPolicy } from './backoff.js';
import { ChatSender, type ChatSendOptions, type SentMessage } from './chat.js';
import { SwitchyardClientError } from './codes.js';
import { Controller } from './controller.js';
import type { FetchLike } from './discovery.js';
import { TypedEmitter } from './emitter.js';
import { clientRoom, legacyUrl } from './endpoints.js';
import { newId } from './ids.js';
import { DEFAULT_LIVENESS, type LivenessOptions } from './liveness.js';
import { bundledPlan } from './plans.js';
import type { IdOf, ServiceKey } from './types.js';
import type { WebSocketConstructor } from './transports/legacy-transport.js';
import type { ClientEvents, ClientState, ClientWarning, JoinParams, Journal, ReceivedRecord, ResyncInfo, TransportChange, TransportKind } from './types.js';

/** Options of `connect()`. */
export interface ConnectOptions<S extends ServiceKey> {
  /** Switchyard's base URL, e.g. `http://localhost:8080` (http(s); WebSocket URLs are derived). */
  url: string;
  /**
   * The service to follow: a registry id, or the contract of a service the
   * server hosts beside the registry's (its plan is the contract's `plan`).
   */
  service: S;
  /** The entity to join, e.g. `{ progress_id }` for crawl-progress, `{}` for mcp-logs. */
  params: JoinParams<S>;
  /** Stable identity of this client: the rollout stickiness key on every transport. Default: a random UUID per client. */
  clientId?: string;
  /** Transports the client may use. Default `['socketio', 'legacy']`; with one, discovery is skipped and hints to the other are ignored. */
  transports?: readonly TransportKind[];
  /**
   * WebSocket implementation for the legacy transport. Default `globalThis.WebSocket`
   * (browsers). Node 20 has none unless flagged: pass `WebSocket` from `ws`.
   */
  WebSocketImpl?: WebSocketConstructor;
  /** Reconnect backoff. Default `{ baseMs: 250, factor: 2, capMs: 30000, maxAttempts: Infinity }`. */
  backoff?: Partial<BackoffPolicy>;
  /** Jitter source in [0, 1). Default `Math.random`. */
  random?: () => number;
  /** Open plus join (or resume) per attempt, in ms. Default 10000. */
  connectTimeoutMs?: number;
  /** Discovery request timeout, in ms. Default 5000. */
  discoveryTimeoutMs?: number;
  /** Chat: wait this long for a `send_message` ack before sending the same id again, in ms. Default 5000. */
  ackTimeoutMs?: number;
  /** Chat: most messages waiting to be sent; more are refused with OUTBOX_FULL. Default 100. */
  outboxLimit?: number;
  /** socket.io-client transports. Default `['websocket']` (a client that can use the legacy endpoint can use WebSocket). */
  socketIoTransports?: ReadonlyArray<'websocket' | 'polling' | 'webtransport'>;
  /** Engine path when discovery was not asked (single transport). Default `/socket.io/`. */
  socketIoPath?: string;
  /** The service's migration plan. Default: the plan bundled with the SDK (the server's `migrations-plan/`). */
  plan?: ServicePlan;
  /** Keep a journal of received events and lifecycle events (drills, tests). Default false. */
  journal?: boolean;
  /** `fetch` for discovery and legacy chat sends. Default `globalThis.fetch`. */
  fetch?: FetchLike;
  /**
   * Credential for a Switchyard with client authentication on (a JWT): sent as
   * Socket.IO `auth.token`, as the legacy URL's `token` query parameter
   * (browsers cannot set headers on a WebSocket), and as `Authorization:
   * Bearer` on discovery and legacy chat sends. A function is called at every
   * attempt, so a refreshed token is used on reconnect. Default: none.
   */
  token?: string | (() => string | undefined);
  /**
   * Legacy transport: notice a silent (half-open) connection and reconnect
   * with resume. A service that answers the text `ping` is probed after
   * `idleMs` (default 15000) of silence; one with a heartbeat is expected on
   * its plan's cadence; either way the link is declared lost `timeoutMs`
   * (default 10000) after the expected frame is due. Bound: `idleMs + timeoutMs`
   * (25 s) for crawl-progress, agent-chat, project-tasks; heartbeat + 10 s
   * for mcp-logs, project-creation (11 s) and knowledge-items (15 s);
   * test-execution (no heartbeat, no pong) only where protocol pings are
   * visible (`ws` in Node: 20 s + 10 s), not in browsers. The Socket.IO
   * transport needs none of this: engine.io's heartbeat ends a silent
   * connection after pingInterval + pingTimeout (45 s by default).
   */
  liveness?: Partial<LivenessOptions>;
}

const DEFAULT_TRANSPORTS: readonly TransportKind[] = ['socketio', 'legacy'];

interface MutableJournal {
  received: ReceivedRecord[];
  states: ClientState[];
  transports: TransportChange[];
  resyncs: ResyncInfo[];
  warnings: ClientWarning[];
}

/**
 * A client of one service's room, over whichever transport Switchyard serves
 * it on, with one typed event API either way: the service's Socket.IO event
 * names and payloads (each with its `seq`), plus `state`, `transport`,
 * `resync` and `warning`. Each event arrives once, in sequence order, across
 * reconnects and transport switches.
 *
 * @example
 * const client = connect({ url: 'http://localhost:8080', service: 'crawl-progress', params: { progress_id: id } });
 * client.on('progress_update', (state) => render(state));
 * client.on('resync', () => resetView());
 */
export class SwitchyardClient<S extends ServiceKey> extends TypedEmitter<ClientEvents<S>> {
  /** The service's id. */
  readonly service: IdOf<S>;
  readonly clientId: string;
  /** The room whose events this client receives (its dedupe key). */
  readonly room: string;
  readonly #controller: Controller;
  readonly #chat: ChatSender | undefined;
  readonly #journal: MutableJournal | undefined;
  // Internal state observers (whenConnected); kept apart from user listeners.
  readonly #stateWaiters = new Set<(state: ClientState) => void>();

  /** Use `connect()`. */
  constructor(options: ConnectOptions<S>) {
    super();
    const key: ServiceKey = options.service;
    const service = (typeof key === 'string' ? key : key.id) as IdOf<S>;
    const plan = options.plan ?? (typeof key === 'string' ? bundledPlan(key) : withPlanDefaults(key.plan));
    if (plan.service !== service) throw new TypeError(`plan is for ${plan.service}, not ${service}`);
    const params: Readonly<Record<string, string>> = options.params;
    const transports = options.transports ?? DEFAULT_TRANSPORTS;
    if (transports.length === 0) throw new TypeError('transports must name at least one transport');
    const WebSocketImpl = options.WebSocketImpl ?? (globalThis.WebSocket as WebSocketConstructor | undefined);
    if (transports.includes('legacy') && WebSocketImpl === undefined) {
      throw new TypeError('the legacy transport needs a WebSocket: pass WebSocketImpl (in Node 20, `WebSocket` from "ws"), or transports: ["socketio"]');
    }
    const token = tokenGetter(options.token);
    const fetchImpl = withBearer(options.fetch ?? ((input, init) => globalThis.fetch(input, init)), token);
    this.service = service;
    this.clientId = options.clientId ?? newId();
    this.room = clientRoom(plan, params);
    // Fail fast, at connect(), on a missing path parameter rather than inside the first attempt.
    if (transports.includes('legacy')) legacyUrl(options.url, plan, plan.legacy.path, params, { clientId: this.clientId, since: 0 });
    this.#journal = options.journal ? { received: [], states: [], transports: [], resyncs: [], warnings: [] } : undefined;
    this.#controller = new Controller({
      url: options.url, plan, params, room: this.room, clientId: this.clientId, transports,
      socketIoTransports: options.socketIoTransports ?? ['websocket'],
      socketIoPath: options.socketIoPath ?? '/socket.io/',
      WebSocketImpl, backoff: backoffPolicy(options.backoff), random: options.random ?? Math.random,
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      discoveryTimeoutMs: options.discoveryTimeoutMs ?? 5000,
      fetch: fetchImpl, token,
      liveness: { ...DEFAULT_LIVENESS, ...options.liveness },
    }, {
      state: (state) => this.#onState(state),
      transport: (change) => {
        this.#journal?.transports.push(change);
        this.emitEvent('transport', change);
      },
      resync: (info) => {
        this.#journal?.resyncs.push(info);
        this.emitEvent('resync', info);
      },
      warning: (warning) => {
        this.#journal?.warnings.push(warning);
        this.emitEvent('warning', warning);
      },
      deliver: (event, payload, received) => {
        this.#journal?.received.push(received);
        if (event === 'new_message') this.#chat?.observe(payload, received.transport);
        this.emitWire(event, payload);
      },
      connected: () => {
        void this.#chat?.drain();
      },
    });
    if (plan.service === 'agent-chat') {
      this.#chat = new ChatSender({
        url: options.url, sessionId: params.session_id ?? '', fetch: fetchImpl,
        ackTimeoutMs: options.ackTimeoutMs ?? 5000, outboxLimit: options.outboxLimit ?? 100,
        link: () => this.#controller.current,
      });
    }
    // Deferred, so listeners registered right after connect() see the first `state`.
    queueMicrotask(() => this.#controller.start());
  }

  /** The current connection state (the last `state` event). */
  get state(): ClientState {
    return this.#controller.state;
  }

  /** The transport serving the client now, or undefined while not connected. */
  get transport(): TransportKind | undefined {
    return this.#controller.current?.kind;
  }

  /** The last delivered sequence number of the room, or undefined before the first join. */
  get lastSeq(): number | undefined {
    return this.#controller.tracker.last(this.room);
  }

  /** What was received and reported, in order (only with `journal: true`; empty otherwise). */
  get journal(): Journal {
    return this.#journal ?? { received: [], states: [], transports: [], resyncs: [], warnings: [] };
  }

  /** Chat messages waiting to be sent or acknowledged. */
  get queued(): number {
    return this.#chat?.queued ?? 0;
  }

  /**
   * agent-chat only: send a user message. Queued while offline (bounded by
   * `outboxLimit`) and retried with the same id until acknowledged, on
   * Socket.IO or over the legacy REST route; the server stores an id once.
   * Resolves when acknowledged.
   *
   * @example
   * const { id } = await chat.sendMessage('hello');
   */
  sendMessage(this: SwitchyardClient<'agent-chat'>, message: string, options?: ChatSendOptions): Promise<SentMessage> {
    return this.#chat!.send(message, options);
  }

  /**
   * Resolves with the transport once the client is connected; rejects when it
   * fails or closes first, or after `timeoutMs` (default 10000).
   */
  whenConnected(timeoutMs = 10_000): Promise<TransportKind> {
    return new Promise((resolve, reject) => {
      const settle = (state: ClientState): boolean => {
        if (state.state === 'connected') resolve(state.transport);
        else if (state.state === 'failed') reject(new SwitchyardClientError(state.code, state.message, { closeCode: state.closeCode }));
        else if (state.state === 'closed') reject(new SwitchyardClientError('CLIENT_CLOSED', 'client closed'));
        else return false;
        return true;
      };
      if (settle(this.state)) return;
      const timer = setTimeout(() => {
        this.#stateWaiters.delete(waiter);
        reject(new Error(`not connected within ${timeoutMs} ms (state ${this.state.state})`));
      }, timeoutMs);
      const waiter = (state: ClientState): void => {
        if (!settle(state)) return;
        clearTimeout(timer);
        this.#stateWaiters.delete(waiter);
      };
      this.#stateWaiters.add(waiter);
    });
  }

  /** Leave for good: sockets closed, timers cleared, queued sends rejected with CLIENT_CLOSED. */
  close(): void {
    this.#controller.close();
  }

  #onState(state: ClientState): void {
    this.#journal?.states.push(state);
    if (state.state === 'failed') this.#chat?.failAll(new SwitchyardClientError(state.code, state.message, { closeCode: state.closeCode }));
    if (state.state === 'closed') this.#chat?.failAll(new SwitchyardClientError('CLIENT_CLOSED', 'client closed'));
    this.emitEvent('state', state);
    for (const waiter of [...this.#stateWaiters]) waiter(state);
  }
}

/**
 * Connect to one service's room. Returns at once; the client asks discovery,
 * connects, and reports progress through `state` events (see `whenConnected`).
 *
 * @example Socket.IO or legacy, whichever the server says (browser)
 * const crawl = connect({ url: location.origin, service: 'crawl-progress', params: { progress_id } });
 * crawl.on('progress_update', (p) => console.log(p.percentage, p.seq));
 *
 * @example Node: the legacy transport needs `ws`
 * import { WebSocket } from 'ws';
 * const chat = connect({ url, service: 'agent-chat', params: { session_id }, WebSocketImpl: WebSocket });
 * await chat.sendMessage('hello');
 */
export function connect<S extends ServiceKey>(options: ConnectOptions<S>): SwitchyardClient<S> {
  return new SwitchyardClient(options);
}

function tokenGetter(token: ConnectOptions<ServiceKey>['token']): () => string | undefined {
  if (typeof token === 'function') return token;
  return () => token;
}

/** Every REST call of the SDK (discovery, legacy chat sends) carries the token, when there is one. */
function withBearer(fetchImpl: FetchLike, token: () => string | undefined): FetchLike {
  return (input, init) => {
    const value = token();
    if (!value) return fetchImpl(input, init);
    return fetchImpl(input, { ...init, headers: { ...init?.headers, authorization: `Bearer ${value}` } });
  };
}
