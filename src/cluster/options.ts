import { hostname } from 'node:os';

/**
 * Cluster mode: several Switchyard nodes share one Redis. Absent (the
 * embedded default), everything lives in the process and no Redis module is
 * loaded: this file imports no Redis client, so the configuration can name it.
 */
export interface ClusterOptions {
  /** `redis://host:port/db`. */
  readonly redisUrl: string;
  /** Prepended to every key and channel, so deployments can share one Redis. Default `switchyard`. */
  readonly prefix: string;
  /** This node's name in the audit trail and logs. Default `<hostname>:<pid>`. */
  readonly nodeId: string;
}

export const DEFAULT_REDIS_PREFIX = 'switchyard';

export function defaultNodeId(): string {
  return `${hostname()}:${process.pid}`;
}

/** A key or channel name under the deployment's prefix: `key('sy', 'room', 'crawl_1')` → `sy:room:crawl_1`. */
export function key(prefix: string, ...parts: string[]): string {
  return [prefix, ...parts].join(':');
}
