import { encodeEntity } from './entity-json.js';
import type { HostedId } from '../registry/contracts.js';

/** One entity a transaction read (its version then) and possibly changed. */
export interface TxEntity {
  readonly store: string;
  readonly id: string;
  /** Version in the replica when first touched (0: absent). The commit fails if the shared one differs. */
  readonly expected: number;
  /** The value as read (JSON), to notice changes made in place. Undefined: absent. */
  readonly original: string | undefined;
  /** What the transaction holds now: the read copy, or what it set. Undefined: absent or deleted. */
  current: unknown;
  /** Set or deleted explicitly. */
  written: boolean;
}

export interface TxEvent {
  readonly service: HostedId;
  readonly room: string;
  readonly event: string;
  readonly payload: Record<string, unknown>;
}

/** What one domain call did, to commit as one step. */
export class PendingTx {
  readonly entities = new Map<string, TxEntity>();
  readonly events: TxEvent[] = [];

  static slot(store: string, id: string): string {
    return `${store}\u0000${id}`;
  }

  /** The entity writes to commit: explicit ones, and read copies changed in place. */
  writes(): Array<{ store: string; id: string; expected: number; json: string | undefined }> {
    const out: Array<{ store: string; id: string; expected: number; json: string | undefined }> = [];
    for (const entity of this.entities.values()) {
      const json = entity.current === undefined ? undefined : encodeEntity(entity.current);
      if (!entity.written && json === entity.original) continue;
      if (json === undefined && entity.original === undefined) continue;
      out.push({ store: entity.store, id: entity.id, expected: entity.expected, json });
    }
    return out;
  }
}

/** A transaction as committed and read back from the tx stream by every node. */
export interface CommittedTx {
  readonly node: string;
  readonly entities: ReadonlyArray<{ store: string; id: string; version: number; value: unknown }>;
  readonly events: ReadonlyArray<{ service: HostedId; room: string; seq: number; event: string; payload: Record<string, unknown>; at: number; bytes: number; epoch: string }>;
}
