import { EventEmitter } from 'node:events';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ConnectionHealth, mergeRedisHealth, registerRedisUp } from '../../../src/cluster/redis-health.js';
import type { RedisHealth } from '../../../src/cluster/stage-control.js';

/** A connection as ioredis reports it: a status and error/close/ready events. */
class FakeConnection extends EventEmitter {
  status = 'ready';
  drop(message: string): void {
    this.status = 'reconnecting';
    this.emit('error', new Error(message));
    this.emit('close');
  }
  back(): void {
    this.status = 'ready';
    this.emit('ready');
  }
}

describe('Redis health of a node', () => {
  it('is down from the first lost connection until every one is back', () => {
    const data = new FakeConnection();
    const reader = new FakeConnection();
    const changes: string[] = [];
    const health = new ConnectionHealth([data, reader], (h) => changes.push(h.status));
    expect(health.health()).toEqual({ status: 'up' });
    reader.drop('connect ECONNREFUSED');
    expect(health.health()).toMatchObject({ status: 'down', error: 'connection closed' });
    data.drop('connect ECONNREFUSED');
    reader.back();
    expect(health.health().status).toBe('down');
    data.back();
    expect(health.health()).toEqual({ status: 'up' });
    expect(changes).toEqual(['down', 'up']);
  });

  it('merges the data plane and the control plane: down when either is, with both errors and the earliest since', async () => {
    let data: RedisHealth = { status: 'up' };
    let control: RedisHealth = { status: 'up' };
    const merged = mergeRedisHealth([() => data, () => control]);
    const registry = new Registry();
    registerRedisUp(registry, merged);
    const gauge = async (): Promise<number | undefined> => (await registry.getSingleMetric('switchyard_redis_up')!.get()).values[0]?.value;
    expect(merged()).toEqual({ status: 'up' });
    expect(await gauge()).toBe(1);
    data = { status: 'down', error: 'tx reader lost', since: '2026-01-01T00:00:02.000Z' };
    expect(merged()).toEqual({ status: 'down', error: 'tx reader lost', since: '2026-01-01T00:00:02.000Z' });
    expect(await gauge()).toBe(0);
    control = { status: 'down', error: 'subscriber lost', since: '2026-01-01T00:00:01.000Z' };
    expect(merged()).toEqual({ status: 'down', error: 'tx reader lost; subscriber lost', since: '2026-01-01T00:00:01.000Z' });
    data = { status: 'up' };
    control = { status: 'up' };
    expect(await gauge()).toBe(1);
  });
});
