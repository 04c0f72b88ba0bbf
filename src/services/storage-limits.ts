import { SwitchyardError } from '../errors/catalogue.js';
import type { Clock } from '../domain/clock.js';
import { envPositiveInt } from './env-int.js';

/**
 * How much producers may make the services store. Every entity (crawl, test
 * run, chat session, project, creation flow, task list) is bounded in number,
 * in size and in lifetime, so no sequence of requests can exhaust memory.
 */
export interface StorageLimits {
  /** Live entities per service (crawls, executions, sessions, projects, flows, task lists). Default 10 000. */
  maxEntities: number;
  /** An unfinished entity with no update for this long is dropped with its room (ms). Default 1 hour. */
  idleTtlMs: number;
  /** Bytes of one entity's whole state as JSON; an update beyond it is refused (413). Default 256 KiB. */
  entityBytes: number;
  /** Log lines kept per crawl (the newest). Default 200. */
  crawlLogLines: number;
  /** Tasks kept per project; creating one more is refused (429). Default 1000. */
  tasksPerProject: number;
  /** Bytes of all entities of one service together (as JSON); a change beyond it is refused (429). Default 64 MiB. */
  serviceBytes: number;
}

export const DEFAULT_STORAGE_LIMITS: StorageLimits = {
  maxEntities: 10_000,
  idleTtlMs: 60 * 60_000,
  entityBytes: 256 * 1024,
  crawlLogLines: 200,
  tasksPerProject: 1000,
  serviceBytes: 64 * 1024 * 1024,
};

/**
 * Bytes of a whole list that every change re-sends to every subscriber (the
 * project list, the knowledge items: the legacy protocols), so it stays small
 * whatever the count. A change beyond it is refused (429).
 */
export const LIST_BYTES = 4 * 1024 * 1024;

/** Longest free text a producer may send in one field (a log line, a message, an error). */
export const TEXT_MAX = 32_000;
/** Longest id, status, step or other short field. */
export const SHORT_MAX = 200;
/** Longest URL, title or name. */
export const NAME_MAX = 2048;

/** The limits from the environment (README "Configuration"), over the defaults. */
export function storageLimitsFromEnv(env: NodeJS.ProcessEnv): StorageLimits {
  const d = DEFAULT_STORAGE_LIMITS;
  return {
    maxEntities: envPositiveInt(env, 'SWITCHYARD_MAX_ENTITIES', d.maxEntities),
    idleTtlMs: envPositiveInt(env, 'SWITCHYARD_IDLE_TTL_MS', d.idleTtlMs),
    entityBytes: envPositiveInt(env, 'SWITCHYARD_ENTITY_BYTES', d.entityBytes),
    crawlLogLines: envPositiveInt(env, 'SWITCHYARD_CRAWL_LOG_LINES', d.crawlLogLines),
    tasksPerProject: envPositiveInt(env, 'SWITCHYARD_TASKS_PER_PROJECT', d.tasksPerProject),
    serviceBytes: envPositiveInt(env, 'SWITCHYARD_SERVICE_BYTES', d.serviceBytes),
  };
}

/** Refuse to create one more entity when `count` already reached the limit. */
export function assertCapacity(count: number, limit: number, what: string): void {
  if (count >= limit) throw new SwitchyardError('CAPACITY_EXCEEDED', `${what}: at most ${limit} may be live at once`, { limit });
}

/**
 * Refuse a state whose JSON exceeds `limit` bytes (call before committing it,
 * so a refused update changes nothing); returns its size.
 */
export function assertEntityBytes(state: unknown, limit: number, what: string): number {
  return checkEntityBytes(Buffer.byteLength(JSON.stringify(state)), limit, what);
}

/** `assertEntityBytes` for a state already measured (`bytes` of its JSON). */
export function checkEntityBytes(bytes: number, limit: number, what: string): number {
  if (bytes > limit) throw new SwitchyardError('PAYLOAD_TOO_LARGE', `${what}: state would be ${bytes} bytes, at most ${limit}`, { limit });
  return bytes;
}

/**
 * The bytes a service holds, entity by entity, against `serviceBytes`: the
 * count limit times the size limit is far more than a server should hold, so
 * the sum is bounded too. Check before committing a change.
 */
export class ByteBudget {
  readonly #sizes = new Map<string, number>();
  #total = 0;
  readonly #limit: number;
  readonly #what: string;

  constructor(limit: number, what: string) {
    this.#limit = limit;
    this.#what = what;
  }

  /** Throw CAPACITY_EXCEEDED if `id` taking `bytes` would overflow the budget. */
  check(id: string, bytes: number): void {
    const total = this.#total - (this.#sizes.get(id) ?? 0) + bytes;
    if (total > this.#limit) throw new SwitchyardError('CAPACITY_EXCEEDED', `${this.#what}: would hold ${total} bytes, at most ${this.#limit}`, { limit: this.#limit });
  }

  /** Record `id`'s size (after `check`). */
  set(id: string, bytes: number): void {
    this.#total += bytes - (this.#sizes.get(id) ?? 0);
    this.#sizes.set(id, bytes);
  }

  delete(id: string): void {
    this.#total -= this.#sizes.get(id) ?? 0;
    this.#sizes.delete(id);
  }

  get total(): number {
    return this.#total;
  }
}

/**
 * Idle expiry of entities: `touch` on every update, `forget` when the entity
 * ends another way; one unref'd timer per domain calls `expire` for each
 * entity untouched for `ttlMs`. Oldest-first order (a touch moves an id to the
 * end) makes a sweep cost only what it expires.
 */
export class IdleExpiry {
  readonly #touched = new Map<string, number>();
  readonly #timer: NodeJS.Timeout;
  readonly #ttlMs: number;
  readonly #clock: Clock;

  constructor(ttlMs: number, clock: Clock, expire: (id: string) => void) {
    this.#ttlMs = ttlMs;
    this.#clock = clock;
    const every = Math.min(60_000, Math.max(20, Math.floor(ttlMs / 4)));
    this.#timer = setInterval(() => {
      for (const id of this.due()) {
        this.#touched.delete(id);
        expire(id);
      }
    }, every);
    this.#timer.unref();
  }

  touch(id: string): void {
    this.#touched.delete(id);
    this.#touched.set(id, this.#clock());
  }

  forget(id: string): void {
    this.#touched.delete(id);
  }

  /** Ids idle for the TTL, oldest first. */
  due(): string[] {
    const before = this.#clock() - this.#ttlMs;
    const due: string[] = [];
    for (const [id, at] of this.#touched) {
      if (at > before) break;
      due.push(id);
    }
    return due;
  }

  close(): void {
    clearInterval(this.#timer);
    this.#touched.clear();
  }
}
