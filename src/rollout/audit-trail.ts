import type { HostedId } from '../registry/contracts.js';
import type { Stage } from '../flags/stage.js';

/** One effective stage change. */
export interface AuditEntry {
  /** ISO time of the change. */
  at: string;
  service: HostedId;
  from: Stage;
  to: Stage;
  /** What caused it: `override` (admin API), `guard` (automatic rollback), `file`, `unleash` or `plan`. */
  source: string;
  /** Free text: who or what (admin token label, file path, Unleash refresh). */
  detail?: string;
  /**
   * Who made the change: the name of the admin token for the admin API
   * (`admin` for `SWITCHYARD_ADMIN_TOKEN`), else the source itself (`file`,
   * `unleash`, `plan`).
   */
  actor: string;
  /** Structured reasons, when the cause gave some (the guard's measurements and objectives). */
  details?: Readonly<Record<string, unknown>>;
  /** Cluster mode: the node that applied the change (its `--node-id`). */
  node?: string;
}

/**
 * Where the stage controller records changes: {@link AuditTrail} in memory,
 * or the cluster's shared trail in Redis, which keeps one entry per change
 * however many nodes apply it (src/cluster/control-plane.ts).
 */
export interface AuditLog {
  add(entry: AuditEntry): void;
  /** Newest last. The cluster's trail rejects with STORE_UNAVAILABLE while Redis is down. */
  list(service?: HostedId): readonly AuditEntry[] | Promise<readonly AuditEntry[]>;
}

/** A bounded, in-memory audit trail; every entry is also logged by the caller. */
export class AuditTrail implements AuditLog {
  readonly #entries: AuditEntry[] = [];
  readonly #max: number;

  constructor(max = 1000) {
    this.#max = max;
  }

  add(entry: AuditEntry): void {
    this.#entries.push(entry);
    if (this.#entries.length > this.#max) this.#entries.splice(0, this.#entries.length - this.#max);
  }

  /** Newest last; optionally only one service. */
  list(service?: HostedId): AuditEntry[] {
    return service ? this.#entries.filter((e) => e.service === service) : [...this.#entries];
  }
}
