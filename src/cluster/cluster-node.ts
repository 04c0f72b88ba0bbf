import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Clock } from '../domain/clock.js';
import type { EntityMap, EntityStore } from '../domain/entity-store.js';
import { payloadBytes, type RetentionOptions, type RoomEvent } from '../domain/event-log.js';
import type { RoomHub, Sequencer } from '../domain/room-hub.js';
import { SwitchyardError } from '../errors/catalogue.js';
import type { HostedId } from '../registry/contracts.js';
import { connectRedis } from './redis.js';
import type { ClusterOptions } from './options.js';
import { decodeEntity } from './entity-json.js';
import { dataKeys, type DataKeys } from './keys.js';
import { COMMIT_SCRIPT } from './lua.js';
import { RedisEventLog } from './redis-event-log.js';
import { ConnectionHealth } from './redis-health.js';
import type { RedisHealth } from './stage-control.js';
import { ReplicatedMap } from './replicated-map.js';
import { PendingTx, type CommittedTx } from './transaction.js';

/** Committed transactions kept in the tx stream for nodes catching up (approximate, MAXLEN ~). */
const TX_STREAM_LENGTH = 100_000;
/** Retries of a domain call whose reads another node changed meanwhile. */
const MAX_ATTEMPTS = 16;

/**
 * One node of a cluster, the data plane: it sequences what the domains
 * publish and stores what they change, one Lua commit per domain call, and
 * applies every node's commits, in the one order of the tx stream, to its
 * replicas (entity maps, room heads) and its local subscribers.
 */
export class ClusterNode implements EntityStore, Sequencer {
  readonly eventLog: RedisEventLog;
  readonly #options: ClusterOptions;
  readonly #keys: DataKeys;
  readonly #redis: Redis;
  readonly #reader: Redis;
  readonly #logger: Logger;
  readonly #health: ConnectionHealth;
  readonly #clock: Clock;
  readonly #retention: RetentionOptions;
  readonly #maps = new Map<string, ReplicatedMap<unknown>>();
  readonly #remoteListeners = new Map<string, Array<(id: string) => void>>();
  #generation = '';
  #hub: RoomHub | undefined;
  #tx: PendingTx | undefined;
  // Whether the running transaction was opened by `transact` (else: implicit, committed at the end of the tick).
  #explicit = false;
  #lastId = '0-0';
  readonly #waiters: Array<{ id: string; resolve: () => void }> = [];
  #closed = false;
  #loop: Promise<void> = Promise.resolve();
  #heads = new Map<string, number>();
  // Entities a transaction of this node is committing now (slot → settles when it is done).
  readonly #inflight = new Map<string, Promise<void>>();
  #epochs = new Map<string, string>();

  private constructor(options: ClusterOptions, retention: RetentionOptions, logger: Logger, clock: Clock) {
    this.#options = options;
    this.#keys = dataKeys(options.prefix);
    this.#logger = logger.child({ component: 'cluster', node: options.nodeId });
    this.#clock = clock;
    this.#retention = retention;
    this.#redis = connectRedis(options.redisUrl, this.#logger, `${options.nodeId}:data`);
    this.#reader = connectRedis(options.redisUrl, this.#logger, `${options.nodeId}:tx-reader`);
    this.eventLog = new RedisEventLog(this.#redis, options.prefix, retention, clock);
    // Producer calls and resumes need both: /ready and switchyard_redis_up count them (src/cluster/redis-health.ts).
    this.#health = new ConnectionHealth([this.#redis, this.#reader], (health) => {
      if (health.status === 'down') this.#logger.error({ error: health.error }, 'redis unreachable: producer calls answer 503 STORE_UNAVAILABLE; open connections stay');
      else this.#logger.info('redis reachable again: following the tx stream');
    });
  }

  /** This node's data-plane connections to Redis. */
  health(): RedisHealth {
    return this.#health.health();
  }

  /** Connect, and read what the hub needs before it serves: generation, heads, epochs. */
  static async connect(options: ClusterOptions, retention: RetentionOptions, logger: Logger, clock: Clock): Promise<ClusterNode> {
    const node = new ClusterNode(options, retention, logger, clock);
    try {
      await Promise.all([waitReady(node.#redis), waitReady(node.#reader)]);
      await node.#redis.set(node.#keys.generation, randomUUID().slice(0, 8), 'NX');
      node.#generation = (await node.#redis.get(node.#keys.generation)) ?? '';
      // The position first, then the state: a commit in between is applied twice, which versions and heads make harmless.
      node.#lastId = await node.#tailId();
      await node.#loadRooms();
    } catch (error) {
      node.#redis.disconnect();
      node.#reader.disconnect();
      throw error;
    }
    return node;
  }

  get generation(): string {
    return this.#generation;
  }

  /** Make `hub` sequence through this node, with the shared heads and epochs. */
  attach(hub: RoomHub): void {
    this.#hub = hub;
    hub.useSequencer(this, this.#heads, this.#epochs);
  }

  /** Load the entity maps the services opened, then follow the tx stream. */
  async start(): Promise<void> {
    await this.#loadEntities();
    this.#loop = this.#follow();
  }

  map<V>(name: string): EntityMap<V> {
    if (this.#maps.has(name)) throw new Error(`entity map ${name} opened twice`);
    const map = new ReplicatedMap<V>(name, () => this.#tx !== undefined, () => this.#openTx());
    this.#maps.set(name, map as ReplicatedMap<unknown>);
    return map;
  }

  onRemoteChange(name: string, listener: (id: string) => void): void {
    const list = this.#remoteListeners.get(name) ?? [];
    list.push(listener);
    this.#remoteListeners.set(name, list);
  }

  transact<T>(fn: () => T): Promise<T> {
    // Inside another call's transaction: part of it.
    if (this.#tx && this.#explicit) return Promise.resolve(fn());
    // A background one (reads or changes earlier in this tick) is committed on its own.
    this.#tx = undefined;
    return this.#transact(fn);
  }

  async #transact<T>(fn: () => T): Promise<T> {
    for (let attempt = 1; ; ) {
      const tx = new PendingTx();
      this.#tx = tx;
      this.#explicit = true;
      let result: T;
      try {
        result = fn();
      } finally {
        this.#tx = undefined;
        this.#explicit = false;
      }
      // One call at a time per entity on this node: a second would read the version the first is replacing.
      const busy = [...tx.entities.keys()].map((slot) => this.#inflight.get(slot)).filter((p) => p !== undefined);
      if (busy.length > 0) {
        await Promise.all(busy);
        continue;
      }
      let done!: () => void;
      const settled = new Promise<void>((resolve) => { done = resolve; });
      const slots = [...tx.entities.keys()];
      for (const slot of slots) this.#inflight.set(slot, settled);
      try {
        const outcome = await this.#commit(tx);
        if (outcome === undefined) return result;
        if (outcome.ok) {
          await this.#applied(outcome.id);
          return result;
        }
        if (attempt++ >= MAX_ATTEMPTS) throw new SwitchyardError('STORE_UNAVAILABLE', `entity ${outcome.store}/${outcome.id} kept changing under this call; retry`);
        await this.#refresh();
      } finally {
        for (const slot of slots) if (this.#inflight.get(slot) === settled) this.#inflight.delete(slot);
        done();
      }
    }
  }

  stage(service: HostedId, room: string, event: string, payload: Record<string, unknown>): RoomEvent {
    const tx = this.#openTx();
    tx.events.push({ service, room, event, payload });
    const pending = tx.events.filter((e) => e.room === room).length;
    const seq = (this.#hub?.head(room) ?? 0) + pending;
    return { room, seq, event, payload, at: this.#clock() };
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#health.close();
    this.#reader.disconnect();
    await this.#loop.catch(() => {});
    await this.#redis.quit().catch(() => this.#redis.disconnect());
    for (const waiter of this.#waiters.splice(0)) waiter.resolve();
  }

  /** The running transaction, or one opened now for a change made outside `transact` (timers, demo, socket handlers). */
  #openTx(): PendingTx {
    if (this.#tx) return this.#tx;
    const tx = new PendingTx();
    this.#tx = tx;
    // Everything this tick does goes into it; committed right after.
    queueMicrotask(() => {
      if (this.#tx === tx && !this.#explicit) this.#tx = undefined;
      this.#commit(tx).then((outcome) => {
        if (outcome && !outcome.ok) this.#logger.warn({ store: outcome.store, id: outcome.id }, 'background change lost to a concurrent one');
      }, (error: unknown) => this.#logger.error({ err: error }, 'background change not stored: shared store unavailable'));
    });
    return tx;
  }

  async #commit(tx: PendingTx): Promise<{ ok: true; id: string } | { ok: false; store: string; id: string } | undefined> {
    const writes = tx.writes();
    if (writes.length === 0 && tx.events.length === 0) return undefined;
    const { maxEvents, maxAgeMs, maxBytes } = this.#retention;
    const args: Array<string | number> = [this.#options.prefix, this.#clock(), maxEvents, maxAgeMs, maxBytes, TX_STREAM_LENGTH, this.#options.nodeId, this.#generation, writes.length];
    for (const write of writes) args.push(write.store, write.id, write.expected, write.json === undefined ? '1' : '0', write.json ?? '');
    args.push(tx.events.length);
    for (const event of tx.events) {
      const json = JSON.stringify(event.payload);
      args.push(event.service, event.room, event.event, json, payloadBytes(event.payload));
    }
    let reply: unknown;
    try {
      reply = await this.#redis.eval(COMMIT_SCRIPT, 0, ...args);
    } catch (error) {
      throw new SwitchyardError('STORE_UNAVAILABLE', `shared store unavailable: ${(error as Error).message}`);
    }
    const [status, a, b] = reply as [string, string, string?];
    return status === 'ok' ? { ok: true, id: a } : { ok: false, store: a, id: b ?? '' };
  }

  /** Resolves once this node has applied the tx stream up to `id`. */
  #applied(id: string): Promise<void> {
    if (this.#closed || compareIds(id, this.#lastId) <= 0) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ id, resolve }));
  }

  /**
   * A conflict: catch up with every commit made so far, so the retry reads the
   * entity and the room heads as of one applied point (a publish's expected
   * sequence number is then exact whenever its entity's version still matches).
   */
  catchUp(): Promise<void> {
    return this.#refresh();
  }

  async #refresh(): Promise<void> {
    let tail: string;
    try {
      tail = await this.#tailId();
    } catch (error) {
      throw new SwitchyardError('STORE_UNAVAILABLE', `shared store unavailable: ${(error as Error).message}`);
    }
    await this.#applied(tail);
  }

  /** Apply the tx stream, in order, for as long as the node runs. */
  async #follow(): Promise<void> {
    let broken = false;
    while (!this.#closed) {
      try {
        if (broken) await this.#catchUp();
        broken = false;
        const reply = await this.#reader.xread('COUNT', 500, 'BLOCK', 1000, 'STREAMS', this.#keys.txLog, this.#lastId) as Array<[string, Array<[string, string[]]>]> | null;
        for (const [id, fields] of reply?.[0]?.[1] ?? []) {
          const message = fields[fields.indexOf('m') + 1];
          // Applying again after a failure part-way is harmless: versions and heads skip what is done.
          if (message) await this.#apply(decodeTx(message));
          this.#lastId = id;
        }
        this.#wake();
      } catch (error) {
        if (this.#closed) break;
        if (!broken) this.#logger.warn({ err: error }, 'tx stream unreachable; open connections keep what they have');
        broken = true;
        this.#wake();
        await delay(250);
      }
    }
  }

  /** After an outage: if the tx stream was trimmed past this node's position, reload what it missed. */
  async #catchUp(): Promise<void> {
    const first = await this.#redis.xrange(this.#keys.txLog, '-', '+', 'COUNT', 1);
    const firstId = first[0]?.[0];
    if (firstId === undefined || compareIds(firstId, this.#lastId) <= 0 || this.#lastId === '0-0') return;
    this.#logger.warn({ from: this.#lastId, to: firstId }, 'missed part of the tx stream; reloading entities and rooms');
    this.#lastId = await this.#tailId();
    await this.#loadEntities();
    const heads = await this.#redis.hgetall(this.#keys.heads);
    const epochs = await this.#redis.hgetall(this.#keys.epochs);
    for (const [room, head] of Object.entries(heads)) {
      const local = this.#hub?.head(room) ?? 0;
      if (Number(head) > local) await this.#repair(room, local, Number(head) + 1, epochs[room] ?? this.#generation);
    }
  }

  #wake(): void {
    for (let i = this.#waiters.length - 1; i >= 0; i--) {
      const waiter = this.#waiters[i]!;
      if (compareIds(waiter.id, this.#lastId) <= 0) {
        this.#waiters.splice(i, 1);
        waiter.resolve();
      }
    }
  }

  async #apply(tx: CommittedTx): Promise<void> {
    const remote = tx.node !== this.#options.nodeId;
    for (const entity of tx.entities) {
      const map = this.#maps.get(entity.store);
      if (!map?.apply(entity.id, entity.version, entity.value)) continue;
      if (remote) for (const listener of this.#remoteListeners.get(entity.store) ?? []) listener(entity.id);
    }
    const hub = this.#hub;
    if (!hub) return;
    for (const event of tx.events) {
      const head = hub.head(event.room);
      if (event.seq <= head) continue;
      // A gap (a repair after an outage left this room behind): read it from the room's log first.
      if (event.seq > head + 1) await this.#repair(event.room, head, event.seq, event.epoch);
      const { service, epoch, ...roomEvent } = event;
      hub.applySequenced(service, roomEvent, epoch);
    }
  }

  /** Deliver `room`'s events after `head` and before `until` from its log, in order. */
  async #repair(room: string, head: number, until: number, epoch: string): Promise<void> {
    const hub = this.#hub!;
    const entries = await this.#redis.xrange(this.#keys.roomLog(room), `${head + 1}-0`, `${until - 1}-0`);
    for (const [id, fields] of entries) {
      const seq = Number(id.slice(0, id.indexOf('-')));
      const service = fields[fields.indexOf('s') + 1] as HostedId;
      const event = fields[fields.indexOf('e') + 1] ?? '';
      const payload = JSON.parse(fields[fields.indexOf('p') + 1] ?? '{}') as Record<string, unknown>;
      hub.applySequenced(service, { room, seq, event, payload, at: Number(fields[fields.indexOf('a') + 1]) }, epoch);
    }
    this.#logger.warn({ room, from: head, until, found: entries.length }, 'gap repaired from the room log');
  }

  async #tailId(): Promise<string> {
    const last = await this.#redis.xrevrange(this.#keys.txLog, '+', '-', 'COUNT', 1);
    return last[0]?.[0] ?? '0-0';
  }

  async #loadRooms(): Promise<void> {
    const [heads, epochs] = await Promise.all([this.#redis.hgetall(this.#keys.heads), this.#redis.hgetall(this.#keys.epochs)]);
    this.#heads = new Map(Object.entries(heads).map(([room, head]) => [room, Number(head)]));
    this.#epochs = new Map(Object.entries(epochs));
  }

  async #loadEntities(): Promise<void> {
    for (const [name, map] of this.#maps) {
      const [values, versions] = await Promise.all([this.#redis.hgetall(this.#keys.entities(name)), this.#redis.hgetall(this.#keys.versions(name))]);
      const entries = new Map<string, { version: number; value: unknown }>();
      for (const [id, json] of Object.entries(values)) entries.set(id, { version: Number(versions[id] ?? 0), value: decodeEntity(json) });
      map.load(entries);
    }
  }
}

/** A tx stream message: entity values revived (Sets, Maps), event payloads as published. */
function decodeTx(message: string): CommittedTx {
  const tx = JSON.parse(message) as CommittedTx & { entities: Array<{ value: unknown }> };
  for (const entity of tx.entities) entity.value = entity.value === null ? null : decodeEntity(JSON.stringify(entity.value));
  return tx;
}

/** Stream ids `ms-seq`, compared as numbers. */
function compareIds(a: string, b: string): number {
  const [am = 0n, as = 0n] = a.split('-').map(BigInt);
  const [bm = 0n, bs = 0n] = b.split('-').map(BigInt);
  return am === bm ? Number(as - bs) : am < bm ? -1 : 1;
}

function waitReady(redis: Redis): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new SwitchyardError('STORE_UNAVAILABLE', 'Redis did not answer within 10 s')), 10_000);
    redis.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
