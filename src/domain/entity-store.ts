/**
 * Where the services keep their entities. Domains hold a map per kind of
 * entity and wrap each mutation in `transact`; they never learn whether the
 * map is a plain in-process Map (the embedded default) or a replica of a
 * shared store (cluster mode, src/cluster/).
 */

/** The part of `Map<string, V>` the domains use. A plain Map is one. */
export interface EntityMap<V> {
  get(id: string): V | undefined;
  has(id: string): boolean;
  set(id: string, value: V): unknown;
  delete(id: string): boolean;
  clear(): void;
  keys(): Iterable<string>;
  values(): Iterable<V>;
  readonly size: number;
}

export interface EntityStore {
  /**
   * The map of one kind of entity, by a name unique across services. Values
   * must survive a JSON round trip in cluster mode.
   */
  map<V>(name: string): EntityMap<V>;
  /**
   * Run one mutation (a domain call: reads, writes, publishes) as one atomic
   * step. `fn` is synchronous and may run more than once (cluster mode retries
   * it against fresher state when another node changed what it read).
   * Embedded: runs `fn` now and returns its value. Cluster: resolves once the
   * step is committed and applied on this node; rejects with STORE_UNAVAILABLE
   * when the shared store cannot be reached (then nothing was changed).
   */
  transact<T>(fn: () => T): T | Promise<T>;
  /**
   * Entities of `name` changed by another node (cluster mode), so local
   * housekeeping (idle expiry) follows them. Embedded: never called.
   */
  onRemoteChange(name: string, listener: (id: string) => void): void;
}

/** The embedded default: plain Maps, mutations run in place. */
export const embeddedStore: EntityStore = {
  map: <V>() => new Map<string, V>(),
  transact: (fn) => fn(),
  onRemoteChange: () => {},
};

/** `fn` of a transaction's value: at once when it is one (embedded), after the commit when it is a promise (cluster). */
export function committed<T, R>(value: T | Promise<T>, fn: (value: T) => R): R | Promise<R> {
  return value instanceof Promise ? value.then(fn) : fn(value);
}
