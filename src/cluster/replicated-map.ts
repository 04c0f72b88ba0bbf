import type { EntityMap } from '../domain/entity-store.js';
import { decodeEntity, encodeEntity } from './entity-json.js';
import { PendingTx, type TxEntity } from './transaction.js';

/** A replica entry: the value (as applied) and its version in the shared store. */
interface Replica<V> {
  readonly version: number;
  readonly value: V;
}

/**
 * One kind of entity in cluster mode: a local replica, advanced only by
 * applying committed transactions in order (so a snapshot read with the
 * room's head in one tick is consistent), seen through the open transaction
 * of the domain call running now. Reads inside a transaction get copies, so a
 * domain changing a value in place changes the transaction, never the replica.
 */
export class ReplicatedMap<V> implements EntityMap<V> {
  readonly #name: string;
  readonly #replica = new Map<string, Replica<V>>();
  readonly #tx: () => PendingTx;
  readonly #inTx: () => boolean;

  /** `tx()` is the running transaction (opening one for a mutation made outside any). */
  constructor(name: string, inTx: () => boolean, tx: () => PendingTx) {
    this.#name = name;
    this.#inTx = inTx;
    this.#tx = tx;
  }

  get name(): string {
    return this.#name;
  }

  /**
   * Always a copy inside a transaction; outside one, a read opens one (committed
   * at the end of the tick), so a domain changing a value in place outside
   * `transact` (a timer) still goes through the shared store, never around it.
   */
  get(id: string): V | undefined {
    return this.#touch(id).current as V | undefined;
  }

  has(id: string): boolean {
    return this.get(id) !== undefined;
  }

  set(id: string, value: V): this {
    const entity = this.#touch(id);
    entity.current = value;
    entity.written = true;
    return this;
  }

  delete(id: string): boolean {
    const entity = this.#touch(id);
    const had = entity.current !== undefined;
    entity.current = undefined;
    entity.written = had || entity.written;
    return had;
  }

  clear(): void {
    for (const id of this.keys()) this.delete(id);
  }

  keys(): Iterable<string> {
    return [...this.#view().keys()];
  }

  values(): Iterable<V> {
    return [...this.#view(true).values()];
  }

  get size(): number {
    return this.#inTx() ? this.#view().size : this.#replica.size;
  }

  /** Apply a committed change (any node's). Older versions than the replica's are ignored. Returns whether it changed. */
  apply(id: string, version: number, value: V | null): boolean {
    const held = this.#replica.get(id);
    if (held && held.version >= version) return false;
    if (value === null) this.#replica.delete(id);
    else this.#replica.set(id, { version, value });
    return true;
  }

  /** The replica's version of an entity (0 when absent), for conflict refreshes. */
  version(id: string): number {
    return this.#replica.get(id)?.version ?? 0;
  }

  /** Whole-store load (start, resync): entries whose version is newer than the replica's. */
  load(entries: ReadonlyMap<string, { version: number; value: V }>): void {
    for (const [id, { version, value }] of entries) this.apply(id, version, value);
  }

  /** The entity inside the running transaction, read from the replica on first touch. */
  #touch(id: string): TxEntity {
    const tx = this.#tx();
    const slot = PendingTx.slot(this.#name, id);
    let entity = tx.entities.get(slot);
    if (!entity) {
      const held = this.#replica.get(id);
      const original = held === undefined ? undefined : encodeEntity(held.value);
      entity = { store: this.#name, id, expected: held?.version ?? 0, original, current: original === undefined ? undefined : decodeEntity(original), written: false };
      tx.entities.set(slot, entity);
    }
    return entity;
  }

  /** The replica as the running transaction sees it (copies of every value). */
  #view(copies = false): Map<string, V> {
    const view = new Map<string, V>();
    if (!copies && !this.#inTx()) {
      for (const [id, { value }] of this.#replica) view.set(id, value);
      return view;
    }
    for (const id of this.#replica.keys()) {
      const value = this.get(id);
      if (value !== undefined) view.set(id, value);
    }
    for (const entity of this.#tx().entities.values()) {
      if (entity.store !== this.#name) continue;
      if (entity.current === undefined) view.delete(entity.id);
      else view.set(entity.id, entity.current as V);
    }
    return view;
  }
}
