import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { SwitchyardError } from '../errors/catalogue.js';
import { isLastKnown, type LastKnownFlags, type LastKnownStore } from '../flags/last-known.js';
import type { OverrideFlagSource } from '../flags/override-flag-source.js';
import { isStage, type Stage } from '../flags/stage.js';
import type { HostedId } from '../registry/contracts.js';
import type { AuditEntry, AuditLog } from '../rollout/audit-trail.js';
import { key, type ClusterOptions } from './options.js';
import { connectRedis } from './redis.js';
import type { RedisHealth, StageControl } from './stage-control.js';

/** Entries kept in the shared audit trail (the in-memory trail keeps as many). */
const AUDIT_MAX = 1000;
/** A Redis command that has not answered by then counts as Redis unreachable. */
const COMMAND_TIMEOUT_MS = 2000;
/** How long a start waits for Redis before serving on (stages from the flag source, Redis reported down). */
const CONNECT_WAIT_MS = 3000;

/** One override as stored: who set it, where and when, so any node can report it. */
interface StoredOverride {
  stage: Stage;
  actor: string;
  node: string;
  at: string;
}

/** What goes over the announcement channel. */
interface Announcement {
  /** `overrides`: re-read the override hash. `flags`: pull the flag source now. */
  type: 'overrides' | 'flags';
  node: string;
}

/**
 * One audit entry per change, whichever nodes apply it: every node records
 * the changes it applies, and the first to move a service's stage to a value
 * wins (`applied` holds the stage the cluster last recorded). The winner
 * also announces a flag-source change, so the other nodes pull it now rather
 * than at their next poll. Atomic, so two nodes cannot both win.
 */
const RECORD_CHANGE = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current == ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('LPUSH', KEYS[2], ARGV[3])
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[4]) - 1)
if ARGV[5] ~= '' then redis.call('PUBLISH', KEYS[3], ARGV[5]) end
return 1
`;

/**
 * Stages across nodes, on Redis. What lives where (under the deployment's prefix `p`):
 *
 * | key                    | type   | holds                                                     |
 * | ---------------------- | ------ | --------------------------------------------------------- |
 * | `p:stages:overrides`   | hash   | service → `{stage, actor, node, at}`, until cleared       |
 * | `p:stages:applied`     | hash   | service → the stage the audit trail last recorded         |
 * | `p:stages:audit`       | list   | audit entries, newest first, at most 1000                 |
 * | `p:flags:last-known`   | string | `{savedAt, response}`: the flags Unleash last delivered   |
 * | `p:stages:announce`    | pub/sub| `{type: overrides \| flags, node}`                        |
 *
 * An admin change is stored first (refused with STORE_UNAVAILABLE, nothing
 * changed, when it cannot be), then applied here, then announced; every other
 * node re-reads the overrides and re-decides its open connections. While Redis
 * is down the node keeps its stages and connections; when it returns the node
 * re-subscribes, re-reads the overrides and pulls the flag source.
 */
export class RedisControlPlane implements StageControl {
  readonly nodeId: string;
  readonly audit: AuditLog;
  readonly lastKnown: LastKnownStore;
  readonly #redis: Redis;
  readonly #subscriber: Redis;
  readonly #logger: Logger;
  readonly #keys: { overrides: string; applied: string; audit: string; lastKnown: string; channel: string };
  #flags: OverrideFlagSource | undefined;
  /** Changes applied while Redis was down, recorded when it returns (oldest first, at most AUDIT_MAX). */
  readonly #pendingAudit: AuditEntry[] = [];
  #downSince: number | undefined;
  #lastError: string | undefined;
  #closed = false;

  private constructor(options: ClusterOptions, logger: Logger) {
    this.nodeId = options.nodeId;
    this.#logger = logger.child({ component: 'cluster', node: options.nodeId });
    const { prefix } = options;
    this.#keys = {
      overrides: key(prefix, 'stages', 'overrides'),
      applied: key(prefix, 'stages', 'applied'),
      audit: key(prefix, 'stages', 'audit'),
      lastKnown: key(prefix, 'flags', 'last-known'),
      channel: key(prefix, 'stages', 'announce'),
    };
    this.#redis = connectRedis(options.redisUrl, this.#logger, `switchyard-stages:${options.nodeId}`);
    this.#subscriber = connectRedis(options.redisUrl, this.#logger, `switchyard-stages-sub:${options.nodeId}`);
    this.#redis.defineCommand('recordStageChange', { numberOfKeys: 3, lua: RECORD_CHANGE });
    this.audit = this.#auditLog();
    this.lastKnown = this.#lastKnownStore();
    for (const connection of [this.#redis, this.#subscriber]) {
      connection.on('error', (error: Error) => this.#noteDown(error.message));
      connection.on('close', () => this.#noteDown('connection closed'));
      connection.on('ready', () => this.#noteUp());
    }
    // Subscribing needs a live connection (no offline queue), so it is (re)done on every 'ready'.
    this.#subscriber.on('ready', () => {
      this.#subscriber.subscribe(this.#keys.channel).catch((error: unknown) => this.#logger.warn({ err: error }, 'subscribe failed'));
    });
    this.#subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.#keys.channel) this.#onAnnouncement(message);
    });
  }

  /** Connects (waiting a bounded time: a node starts even while Redis is down, and recovers when it returns). */
  static async connect(options: ClusterOptions, logger: Logger): Promise<RedisControlPlane> {
    const plane = new RedisControlPlane(options, logger);
    await Promise.all([plane.#redis, plane.#subscriber].map((connection) => waitReady(connection, CONNECT_WAIT_MS)));
    if (plane.health().status === 'down') plane.#logger.error({ error: plane.#lastError }, 'redis unreachable at start: serving on, stages from the flag source; overrides load when it returns');
    return plane;
  }

  async attach(flags: OverrideFlagSource): Promise<void> {
    this.#flags = flags;
    if (this.#redis.status === 'ready') await this.#syncOverrides().catch((error: unknown) => this.#logger.warn({ err: error }, 'could not load the stored overrides'));
  }

  async setOverride(service: HostedId, stage: Stage, actor: string): Promise<void> {
    const flags = this.#requireFlags();
    const stored: StoredOverride = { stage, actor, node: this.nodeId, at: new Date().toISOString() };
    await this.#store(() => this.#redis.hset(this.#keys.overrides, service, JSON.stringify(stored)), 'the override was not stored');
    flags.setOverride(service, stage, actor);
    this.#announce('overrides');
  }

  async clearOverride(service: HostedId, actor: string): Promise<void> {
    const flags = this.#requireFlags();
    await this.#store(() => this.#redis.hdel(this.#keys.overrides, service), 'the override was not cleared');
    flags.clearOverride(service, actor);
    this.#announce('overrides');
  }

  async refresh(): Promise<void> {
    const flags = this.#requireFlags();
    if (this.health().status === 'down') throw this.#unavailable('the refresh was not announced');
    await flags.refresh();
    this.#announce('flags');
  }

  health(): RedisHealth {
    if (this.#downSince === undefined && this.#redis.status === 'ready' && this.#subscriber.status === 'ready') return { status: 'up' };
    return { status: 'down', error: this.#lastError ?? `connection ${this.#redis.status}`, since: new Date(this.#downSince ?? Date.now()).toISOString() };
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([this.#redis, this.#subscriber].map((connection) => connection.quit().catch(() => connection.disconnect())));
  }

  #requireFlags(): OverrideFlagSource {
    if (!this.#flags) throw new SwitchyardError('INTERNAL', 'the control plane is not attached to a flag source');
    return this.#flags;
  }

  #unavailable(what: string): SwitchyardError {
    return new SwitchyardError('STORE_UNAVAILABLE', `Redis is unreachable: ${what}; nothing changed on any node, retry`);
  }

  /** Runs one Redis write; any failure (down, timeout) becomes STORE_UNAVAILABLE. */
  async #store<T>(write: () => Promise<T>, what: string): Promise<T> {
    try {
      return await withTimeout(write(), COMMAND_TIMEOUT_MS);
    } catch (error) {
      this.#logger.warn({ err: error }, `redis write failed: ${what}`);
      throw this.#unavailable(what);
    }
  }

  #announce(type: Announcement['type']): void {
    const message: Announcement = { type, node: this.nodeId };
    // Issued after the store on the same connection, so Redis has it when the others read.
    this.#redis.publish(this.#keys.channel, JSON.stringify(message)).catch((error: unknown) => {
      this.#logger.error({ err: error, type }, 'announcement failed: the other nodes follow when they next re-read (on Redis recovery)');
    });
  }

  #onAnnouncement(raw: string): void {
    let message: Partial<Announcement>;
    try {
      message = JSON.parse(raw) as Partial<Announcement>;
    } catch {
      return;
    }
    if (message.node === this.nodeId || !this.#flags) return;
    if (message.type === 'overrides') {
      this.#syncOverrides().catch((error: unknown) => this.#logger.warn({ err: error }, 'could not re-read the overrides'));
    } else if (message.type === 'flags') {
      void this.#flags.refresh();
    }
  }

  /** Make this node's overrides those stored; each difference re-decides the service's connections. */
  async #syncOverrides(): Promise<void> {
    const flags = this.#flags;
    if (!flags) return;
    const stored = await withTimeout(this.#redis.hgetall(this.#keys.overrides), COMMAND_TIMEOUT_MS);
    const wanted = new Map<HostedId, StoredOverride>();
    for (const [service, raw] of Object.entries(stored)) {
      const parsed = parseOverride(raw);
      if (flags.hosts(service) && parsed) wanted.set(service, parsed);
    }
    const current = flags.overrides();
    for (const service of Object.keys(current)) {
      if (flags.hosts(service) && !wanted.has(service)) flags.clearOverride(service, 'override');
    }
    for (const [service, override] of wanted) flags.setOverride(service, override.stage, override.actor);
  }

  #noteDown(error: string): void {
    if (this.#closed) return;
    this.#lastError = error;
    if (this.#downSince !== undefined) return;
    this.#downSince = Date.now();
    this.#logger.error({ error }, 'redis unreachable: keeping the current stages and connections; admin changes answer 503 STORE_UNAVAILABLE');
  }

  #noteUp(): void {
    if (this.#closed || this.#downSince === undefined) return;
    if (this.#redis.status !== 'ready' || this.#subscriber.status !== 'ready') return;
    this.#logger.info({ downMs: Date.now() - this.#downSince }, 'redis reachable again: re-reading the overrides and pulling the flags');
    this.#downSince = undefined;
    this.#lastError = undefined;
    this.#flushPendingAudit();
    // Changes made elsewhere while this node could not hear them.
    this.#syncOverrides().catch((error: unknown) => this.#logger.warn({ err: error }, 'could not re-read the overrides'));
    void this.#flags?.refresh();
  }

  /** Records one change in the shared trail (once per change across nodes); kept for later while Redis is down. */
  #record(entry: AuditEntry): void {
    const redis = this.#redis as Redis & {
      recordStageChange(applied: string, audit: string, channel: string, service: string, stage: string, entry: string, max: number, announce: string): Promise<number>;
    };
    const keys = this.#keys;
    const announce = entry.source === 'override' ? '' : JSON.stringify({ type: 'flags', node: this.nodeId } satisfies Announcement);
    redis.recordStageChange(keys.applied, keys.audit, keys.channel, entry.service, entry.to, JSON.stringify(entry), AUDIT_MAX, announce)
      .catch((error: unknown) => {
        this.#logger.warn({ err: error, entry }, 'audit entry not stored yet (redis unreachable); recorded when it returns');
        this.#pendingAudit.push(entry);
        if (this.#pendingAudit.length > AUDIT_MAX) this.#pendingAudit.shift();
      });
  }

  #flushPendingAudit(): void {
    for (const entry of this.#pendingAudit.splice(0)) this.#record(entry);
  }

  #auditLog(): AuditLog {
    const keys = this.#keys;
    return {
      add: (entry: AuditEntry): void => this.#record(entry),
      list: async (service?: HostedId): Promise<readonly AuditEntry[]> => {
        const raw = await this.#store(() => this.#redis.lrange(keys.audit, 0, -1), 'the audit trail cannot be read');
        const entries = raw.flatMap((line) => {
          try {
            return [JSON.parse(line) as AuditEntry];
          } catch {
            return [];
          }
        }).reverse();
        return service ? entries.filter((entry) => entry.service === service) : entries;
      },
    };
  }

  #lastKnownStore(): LastKnownStore {
    const redisKey = this.#keys.lastKnown;
    return {
      describe: `redis key ${redisKey}`,
      load: async (): Promise<LastKnownFlags | undefined> => {
        try {
          const raw = await withTimeout(this.#redis.get(redisKey), COMMAND_TIMEOUT_MS);
          const parsed: unknown = raw === null ? undefined : JSON.parse(raw);
          return isLastKnown(parsed) ? parsed : undefined;
        } catch {
          return undefined;
        }
      },
      save: async (flags: LastKnownFlags): Promise<void> => {
        await withTimeout(this.#redis.set(redisKey, JSON.stringify(flags)), COMMAND_TIMEOUT_MS);
      },
    };
  }
}

function parseOverride(raw: string): StoredOverride | undefined {
  try {
    const value = JSON.parse(raw) as Partial<StoredOverride>;
    return isStage(value.stage) && typeof value.actor === 'string' ? (value as StoredOverride) : undefined;
  } catch {
    return undefined;
  }
}

function waitReady(connection: Redis, timeoutMs: number): Promise<void> {
  if (connection.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      connection.off('ready', done);
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    connection.on('ready', done);
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from redis within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Entry point of the dynamic import (createSwitchyard, the CLI). */
export function connectControlPlane(options: ClusterOptions, logger: Logger): Promise<RedisControlPlane> {
  return RedisControlPlane.connect(options, logger);
}
