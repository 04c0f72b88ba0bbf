import type { LastKnownStore } from '../flags/last-known.js';
import type { OverrideFlagSource } from '../flags/override-flag-source.js';
import type { Stage } from '../flags/stage.js';
import type { HostedId } from '../registry/contracts.js';
import type { AuditLog } from '../rollout/audit-trail.js';

/** Redis as /ready reports it. */
export interface RedisHealth {
  status: 'up' | 'down';
  /** Why it is down, while it is. */
  error?: string;
  /** When it went down (ISO), while it is. */
  since?: string;
}

/**
 * The stages' side of cluster mode, as the server and the admin API see it;
 * implemented on Redis by src/cluster/control-plane.ts, which is only loaded
 * (dynamically) when cluster mode is configured. This file imports no Redis
 * client.
 */
export interface StageControl {
  readonly nodeId: string;
  /** The shared audit trail: one entry per change, naming the node that applied it. */
  readonly audit: AuditLog;
  /** Where Unleash's last delivered flags are kept (Redis). */
  readonly lastKnown: LastKnownStore;
  /** Loads the stored overrides into `flags` and starts following the other nodes' announcements. */
  attach(flags: OverrideFlagSource): Promise<void>;
  /** Store, apply here, announce. @throws SwitchyardError STORE_UNAVAILABLE when it cannot be stored (nothing changed). */
  setOverride(service: HostedId, stage: Stage, actor: string): Promise<void>;
  /** As setOverride. */
  clearOverride(service: HostedId, actor: string): Promise<void>;
  /** Pull flags here and on every node. @throws SwitchyardError STORE_UNAVAILABLE while Redis is down (nothing pulled). */
  refresh(): Promise<void>;
  health(): RedisHealth;
  close(): Promise<void>;
}
