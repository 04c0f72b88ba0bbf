import type { EventEmitter } from 'node:events';
import type { HostedId } from '../registry/contracts.js';
import type { Stage } from './stage.js';

/**
 * Who is asking. `clientId` is the stickiness key of a gradual rollout: the SDK
 * sends its own; a legacy client that sends none is identified by the
 * `X-Client-Id` header, else by a `client_id`/`session_id` query parameter, else
 * by its remote address (see README, "Gradual rollout").
 */
export interface FlagContext {
  clientId?: string;
  remoteAddress?: string;
}

/** Where the stages currently come from. */
export type FlagSourceKind = 'plan' | 'file' | 'unleash';

export interface FlagSourceStatus {
  kind: FlagSourceKind;
  /** False while the source cannot be reached; the last known stages stay in force. */
  healthy: boolean;
  /** When the source last delivered a full set of flags (ms since epoch), if ever. */
  lastSyncAt?: number;
  /** Why the source is unhealthy, for /ready, the logs and the admin API. */
  error?: string;
  /**
   * Set while the source serves the flags it last delivered before a restart
   * (Unleash unreachable at start): when they were saved and where from.
   */
  lastKnown?: { savedAt: number; store: string };
}

/**
 * One interface in front of every flag backend (plan defaults, a watched local
 * file, or a real Unleash server). It never throws from `stageFor`: before its
 * first sync it answers with the plan's stage.
 *
 * Emits `'changed'` (optionally with a `ChangeCause`) whenever the answer of `stageFor` may have
 * changed for any service or client, and `'status'` (FlagSourceStatus) when its
 * health changes. Callers re-evaluate live connections on `'changed'`.
 */
export interface FlagSource extends EventEmitter {
  readonly kind: FlagSourceKind;
  /** The stage that serves `service` for this client, gradual rollout applied. */
  stageFor(service: HostedId, context: FlagContext): Stage;
  /** The stage a client with no identity would get: what the admin API reports. */
  baseStage(service: HostedId): Stage;
  status(): FlagSourceStatus;
  /**
   * The gradual rollout in force for `service`: `percent` (1–99) of clients
   * on `stage`, the others on `baseStage`. Undefined outside a rollout.
   * Optional: a source without rollouts need not implement it.
   */
  rollout?(service: HostedId): { stage: Stage; percent: number } | undefined;
  /** Resolves after the first sync, or after a bounded wait if the backend is down. */
  start(): Promise<void>;
  /** Pull flags now (the admin refresh endpoint; Unleash webhooks call it). */
  refresh(): Promise<void>;
  close(): Promise<void>;
}

/** Who moved a stage, when a `'changed'` event knows (the admin API's token name); else the source's kind is the actor. */
export interface ChangeCause {
  service: HostedId;
  actor: string;
  /** What the audit trail names as the source, when not the flag source's own (`guard`). */
  source?: string;
  /** Why, for the audit trail (the guard's measurements). */
  details?: Readonly<Record<string, unknown>>;
}
