import { key } from './options.js';

/**
 * Every Redis key and stream of cluster mode's data plane, in one place (the
 * README's "Running several nodes" lists them). All under the deployment's prefix.
 */
export interface DataKeys {
  /** Stream of a room's history: entry id `<seq>-0`, fields e (event), p (payload JSON), a (at ms), b (bytes). */
  roomLog(room: string): string;
  /** Hash room → bytes of payload its log holds (the per-room byte bound). */
  readonly logBytes: string;
  /** Hash room → last assigned sequence number. */
  readonly heads: string;
  /** Hash room → epoch (the run its sequence numbers belong to). */
  readonly epochs: string;
  /** The cluster's generation, SET NX at the first start: the epoch of a room that has none yet. */
  readonly generation: string;
  /** Stream of committed transactions (field m: JSON), read by every node in order. */
  readonly txLog: string;
  /** Hash id → entity JSON of one store. */
  entities(store: string): string;
  /** Hash id → version of one store's entities (optimistic concurrency). */
  versions(store: string): string;
}

export function dataKeys(prefix: string): DataKeys {
  return {
    roomLog: (room) => key(prefix, 'log', room),
    logBytes: key(prefix, 'log-bytes'),
    heads: key(prefix, 'heads'),
    epochs: key(prefix, 'epochs'),
    generation: key(prefix, 'generation'),
    txLog: key(prefix, 'tx'),
    entities: (store) => key(prefix, 'entity', store),
    versions: (store) => key(prefix, 'entity-version', store),
  };
}
