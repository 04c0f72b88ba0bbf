import type { AnyContract, ClientEventsOf, ServerEventsOf } from '../contract/define.js';
import type { ServiceContracts, ServiceId } from '../registry/contracts.js';
import type { FailureCode } from './codes.js';

/**
 * Each service's Socket.IO event maps and join event, derived from its
 * contract (`src/services/<service>/contract.ts`, the same event maps the
 * server handlers use); `JOIN_EVENTS` is the run-time table of join events.
 */
export type { ServiceContracts };
export { JOIN_EVENTS } from '../registry/contracts.js';

/**
 * A service as `connect()` names it: a registry id (`'crawl-progress'`), or
 * the contract of a service a server hosts beside the registry's (its
 * `extraServices`), which brings its own event maps and plan.
 */
export type ServiceKey = ServiceId | AnyContract;

/** The event maps and join event of a service key. */
type SpecOf<S extends ServiceKey> = S extends ServiceId
  ? ServiceContracts[S]
  : S extends AnyContract ? { server: ServerEventsOf<S>; client: ClientEventsOf<S>; join: S['join'] } : never;

/** The service id of a key: the id itself, or the contract's. */
export type IdOf<S extends ServiceKey> = S extends AnyContract ? S['id'] : S;

type ServerEvents<S extends ServiceKey> = SpecOf<S>['server'];

/** Server → client event names of service `S`. */
export type ServiceEventName<S extends ServiceKey> = keyof ServerEvents<S> & string;

/** The payload of event `E` of service `S` (with its `seq`), exactly as the Socket.IO side sends it. */
export type ServiceEventPayload<S extends ServiceKey, E extends ServiceEventName<S>> =
  ServerEvents<S>[E] extends (payload: infer P) => void ? P : never;

type JoinHandler<S extends ServiceKey> = SpecOf<S>['client'] extends infer C
  ? SpecOf<S>['join'] extends keyof C ? C[SpecOf<S>['join']] : never
  : never;
type JoinPayload<S extends ServiceKey> = JoinHandler<S> extends (payload: infer P, ack: never) => void ? NonNullable<P> : never;

/**
 * The connection parameters of service `S`: the join payload without `since`
 * (e.g. `{ progress_id }`), which are also the legacy path's `:params`.
 * Services whose legacy URL reads extra query parameters (project-tasks'
 * `session_id`) accept them as further string keys.
 */
export type JoinParams<S extends ServiceKey> = { [K in Exclude<keyof JoinPayload<S>, 'since'>]: JoinPayload<S>[K] } & Readonly<Record<string, string>>;

/** The two ways Switchyard serves a service. */
export type TransportKind = 'socketio' | 'legacy';

/** The client's connection state, reported by the `state` event. */
export type ClientState =
  /** Asking discovery or opening a transport (first connect). */
  | { state: 'connecting' }
  /** Joined the room; events flow. */
  | { state: 'connected'; transport: TransportKind }
  /** Moving to the other transport because the server said so (stage change); events keep flowing when the old one still can. */
  | { state: 'switching'; from: TransportKind | null; to: TransportKind; reason: FailureCode }
  /** Waiting `delayMs` before attempt number `attempt` (1-based, counts since the last successful connect). */
  | { state: 'reconnecting'; attempt: number; delayMs: number; reason: FailureCode }
  /** Gave up: a terminal code, or `RECONNECT_EXHAUSTED`. Nothing more will happen. */
  | { state: 'failed'; code: FailureCode; message: string; closeCode?: number }
  /** `close()` was called. */
  | { state: 'closed' };

/** `transport` event: the transport serving the client changed (`from` is null on the first connect). */
export interface TransportChange {
  from: TransportKind | null;
  to: TransportKind;
}

/**
 * `resync` event: the server could not resume from `since` (history no longer
 * retained, or the server restarted) and sends a fresh snapshot instead. The
 * snapshot events that follow (seq = `seq`) replace the state; events between
 * `since` and `seq` were not delivered.
 */
export interface ResyncInfo {
  room: string;
  /** The last seq the client had. */
  since: number;
  /** The room head the snapshot is consistent with. */
  seq: number;
  transport: TransportKind;
}

/** `warning` event: degraded but still running (an undecodable frame, a sequence gap). */
export interface ClientWarning {
  code: FailureCode;
  message: string;
}

/** Lifecycle events every client emits, whatever its service. */
export interface LifecycleEvents {
  /** Connection state changes. */
  state(state: ClientState): void;
  /** The serving transport changed. */
  transport(change: TransportChange): void;
  /** A resume fell back to a snapshot: replace state with the snapshot that follows. */
  resync(info: ResyncInfo): void;
  /** Something was skipped or looked wrong, but the client keeps running. */
  warning(warning: ClientWarning): void;
}

/** Everything a client of service `S` emits: the service's events and the lifecycle events. */
export type ClientEvents<S extends ServiceKey> = {
  [E in ServiceEventName<S>]: (payload: ServiceEventPayload<S, E>) => void;
} & LifecycleEvents;

// Compile-time guard: a service event named like a lifecycle event would be unreachable.
type Collisions = { [S in ServiceId]: Extract<ServiceEventName<S>, keyof LifecycleEvents> }[ServiceId];
const noCollisions: [Collisions] extends [never] ? true : never = true;
void noCollisions;

/** One event the client delivered, as the journal records it (option `journal`). */
export interface ReceivedRecord {
  event: string;
  /** The event's room sequence number (snapshot events carry the head they are consistent with). */
  seq: number;
  room: string;
  transport: TransportKind;
  /** Part of a join snapshot (not a live or replayed event): several may share one seq. */
  snapshot: boolean;
}

/** What a client with `journal: true` keeps, in order, for drills and tests. */
export interface Journal {
  readonly received: readonly ReceivedRecord[];
  readonly states: readonly ClientState[];
  readonly transports: readonly TransportChange[];
  readonly resyncs: readonly ResyncInfo[];
  readonly warnings: readonly ClientWarning[];
}
