import { Gauge, type Registry } from 'prom-client';
import type { RedisHealth } from './stage-control.js';

/** What this file needs of a connection (an ioredis client), so it imports no Redis client. */
export interface WatchedConnection {
  readonly status: string;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'close' | 'ready', listener: () => void): unknown;
}

/**
 * Up while every watched connection is ready; down (with the last error and
 * since when) from the first error or close of any of them until all are
 * ready again. The data plane's connections report here; the control plane
 * keeps its own (it also re-syncs on recovery) and `mergeRedisHealth` joins them.
 */
export class ConnectionHealth {
  readonly #connections: readonly WatchedConnection[];
  #downSince: number | undefined;
  #lastError: string | undefined;
  #closed = false;

  constructor(connections: readonly WatchedConnection[], onChange?: (health: RedisHealth) => void) {
    this.#connections = connections;
    for (const connection of connections) {
      connection.on('error', (error: Error) => this.#down(error.message, onChange));
      connection.on('close', () => this.#down('connection closed', onChange));
      connection.on('ready', () => {
        if (this.#closed || this.#downSince === undefined || !this.#allReady()) return;
        this.#downSince = undefined;
        this.#lastError = undefined;
        onChange?.(this.health());
      });
    }
  }

  health(): RedisHealth {
    if (this.#downSince === undefined && this.#allReady()) return { status: 'up' };
    return { status: 'down', error: this.#lastError ?? 'connecting', since: new Date(this.#downSince ?? Date.now()).toISOString() };
  }

  /** Closing on purpose is not an outage. */
  close(): void {
    this.#closed = true;
  }

  #allReady(): boolean {
    return this.#connections.every((connection) => connection.status === 'ready');
  }

  #down(error: string, onChange?: (health: RedisHealth) => void): void {
    if (this.#closed) return;
    this.#lastError = error;
    if (this.#downSince !== undefined) return;
    this.#downSince = Date.now();
    onChange?.(this.health());
  }
}

/**
 * The node's one view of Redis, for /ready, /metrics and the admin API: down
 * when any source (data plane, control plane) is down, with the earliest
 * `since` and the errors of every source that is down.
 */
export function mergeRedisHealth(sources: ReadonlyArray<() => RedisHealth>): () => RedisHealth {
  return () => {
    const down = sources.map((source) => source()).filter((health) => health.status === 'down');
    if (down.length === 0) return { status: 'up' };
    const since = down.map((health) => health.since).filter((at): at is string => at !== undefined).sort()[0];
    return { status: 'down', error: down.map((health) => health.error ?? 'down').join('; '), ...(since ? { since } : {}) };
  };
}

/** `switchyard_redis_up`: 1 while the merged health is up. */
export function registerRedisUp(registry: Registry, health: () => RedisHealth): void {
  new Gauge({
    name: 'switchyard_redis_up', help: 'Cluster mode: 1 while this node reaches Redis (data and control plane), else 0', registers: [registry],
    collect() {
      this.set(health().status === 'up' ? 1 : 0);
    },
  });
}
