import type Router from '@koa/router';
import type { Logger } from 'pino';
import type { ServicePlan } from '../adapter/plan-schema.js';
import type { Clock } from '../domain/clock.js';
import type { RoomEvent } from '../domain/event-log.js';
import type { RoomHub } from '../domain/room-hub.js';
import type { EntityStore } from '../domain/entity-store.js';
import type { AckError } from '../errors/surfaces.js';
import type { HostedId } from '../registry/contracts.js';
import type { StorageLimits } from './storage-limits.js';

/** What every service's domain gets: the shared hub, time and a logger. */
export interface ServiceContext {
  hub: RoomHub;
  clock: Clock;
  logger: Logger;
  plan: ServicePlan;
  /** Bounds of what producers may make the service store. Default `DEFAULT_STORAGE_LIMITS`. */
  storage?: StorageLimits;
  /** Where entities live (see entity-store.ts). Default: in-process maps. */
  store?: EntityStore;
}

/** A successful ack: `{ ok: true, ...fields }`. */
export type AckOk = { ok: true } & Record<string, unknown>;
export type AckResult = AckOk | AckError;

/**
 * A client of the Socket.IO handlers. A real Socket.IO socket is one; a legacy
 * connection served through the adapter is another (its emits become legacy
 * frames). Handlers never know which.
 */
export interface EventClient {
  readonly id: string;
  /** Send one event to this client only (snapshots, replies). `payload.seq` is the room sequence it is consistent with. */
  emit(event: string, payload: Record<string, unknown>): void;
  /** Subscribe to a room's live events from now on. */
  join(room: string): void;
  leave(room: string): void;
  readonly rooms: ReadonlySet<string>;
}

/** A client → server event handler. Payloads are unvalidated input: handlers validate. */
export type EventHandler = (client: EventClient, payload: unknown) => AckResult | Promise<AckResult>;

/** What a legacy connection is, once its URL is parsed. */
export interface LegacyParams {
  /** Path and query parameters, plus defaults the plan derives (e.g. a uuid4 session_id). */
  readonly params: Readonly<Record<string, string>>;
}

/** Frames to send when a legacy socket opens, and the rooms it listens to. */
export interface LegacyOpening {
  rooms: string[];
  frames: string[];
}

/**
 * The original endpoint's behaviour, written by hand as the legacy server did
 * it. It is the reference the adapter is compared against in shadow mode.
 */
export interface LegacyEndpoint {
  /** HTTP status to refuse the handshake with (before accept, as uvicorn did), or undefined to accept. */
  refuse?(connection: LegacyParams): number | undefined;
  /**
   * On-connect frames and rooms. Called in the same tick as the subscription,
   * so the snapshot and the live events that follow are consistent.
   * `peers(room)` counts other legacy connections already in that room.
   */
  open(connection: LegacyParams, peers: (room: string) => number): LegacyOpening;
  /** The frames for a live room event ([] when the legacy server sent none). */
  encode(event: RoomEvent, connection: LegacyParams): string[];
  /**
   * Frames of one event differ between connections only through these params
   * (tasks put the receiving `session_id` in every frame). Events are encoded
   * once per distinct value, not once per connection.
   */
  readonly encodingParams?: readonly string[];
}

/** One service: domain, Socket.IO handlers, legacy endpoint and REST routes. */
export interface ServiceModule {
  readonly id: HostedId;
  readonly legacy: LegacyEndpoint;
  /** Client → server Socket.IO events, by name (the plan's join event among them). */
  readonly handlers: Readonly<Record<string, EventHandler>>;
  /** REST: the producer API and the legacy application's own routes. */
  routes(router: Router): void;
  /** Simulated traffic for demo mode; returns a stop function. */
  demo?(): () => void;
  /** Stop timers (retention clean-ups). */
  close?(): void;
  /**
   * Legacy-only endpoints the service owns beside its plan's path (e.g. the
   * project list stream, legacy.md §9). They have no plan: always served by
   * their hand-written endpoint, never switched to the adapter by a stage.
   */
  readonly extraLegacyEndpoints?: ReadonlyArray<ExtraLegacyEndpoint>;
}

/** A legacy-only endpoint (see `ServiceModule.extraLegacyEndpoints`). */
export interface ExtraLegacyEndpoint {
  /** Its name: the key of `SwitchyardOptions.heartbeatIntervals` that overrides its heartbeat interval. */
  readonly name: string;
  /** Path with `:name` parameters, like a plan's `legacy.path`. */
  readonly path: string;
  readonly endpoint: LegacyEndpoint;
  /** Fixed-cadence heartbeat frame (exact text), or null for none. The server never answers client frames. */
  readonly heartbeat: { intervalMs: number; frame: string } | null;
}
