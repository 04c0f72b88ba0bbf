import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ClusterNode } from '../../src/cluster/cluster-node.js';
import { DEFAULT_RETENTION } from '../../src/domain/event-log.js';
import { embeddedStore, type EntityMap, type EntityStore } from '../../src/domain/entity-store.js';
import { until } from '../support/harness.js';
import { deletePrefix, randomPrefix, REDIS_URL, redisForTests } from '../support/redis.js';

interface Counter { n: number; seen: string[] }

/** Two views of one store: the same store twice (memory), or two nodes sharing a prefix (Redis). */
interface Pair { first: EntityStore; second: EntityStore; maps: [EntityMap<Counter>, EntityMap<Counter>] }

const withRedis = await redisForTests();
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function memoryPair(): Promise<Pair> {
  const map = embeddedStore.map<Counter>('counters');
  return { first: embeddedStore, second: embeddedStore, maps: [map, map] };
}

async function redisPair(): Promise<Pair> {
  const prefix = randomPrefix();
  const logger = pino({ level: 'silent' });
  const nodes: ClusterNode[] = [];
  const maps: Array<EntityMap<Counter>> = [];
  for (const nodeId of ['one', 'two']) {
    const node = await ClusterNode.connect({ redisUrl: REDIS_URL, prefix, nodeId }, DEFAULT_RETENTION, logger, Date.now);
    maps.push(node.map<Counter>('counters'));
    await node.start();
    nodes.push(node);
  }
  cleanups.push(async () => {
    await Promise.all(nodes.map((node) => node.close()));
    await deletePrefix(prefix);
  });
  return { first: nodes[0]!, second: nodes[1]!, maps: [maps[0]!, maps[1]!] };
}

for (const [name, makePair] of [['memory', memoryPair], ['redis', withRedis ? redisPair : undefined]] as const) {
  describe.skipIf(makePair === undefined)(`EntityStore contract: ${name}`, () => {
    it('stores what a transaction sets and deletes, key order and all, visible to every node once it resolves', async () => {
      const { first, maps: [mine, theirs] } = await makePair!();
      expect(await first.transact(() => mine.set('a', { n: 1, seen: [] }))).toBeDefined();
      await first.transact(() => mine.set('b', { seen: ['x'], n: 2 } as Counter));
      expect(mine.get('a')).toEqual({ n: 1, seen: [] });
      expect(Object.keys(mine.get('b')!)).toEqual(['seen', 'n']);
      await until(() => theirs.size === 2, 3000, 'the other node applies both');
      expect([...theirs.keys()].sort()).toEqual(['a', 'b']);
      expect(await first.transact(() => mine.delete('a'))).toBe(true);
      expect(mine.has('a')).toBe(false);
      await until(() => !theirs.has('a'), 3000, 'the delete reaches the other node');
    });

    // Domains validate before they write (a draft, checked, then stored): that is what both stores promise to keep.
    it('changes nothing when the transaction throws before writing, and keeps changes made in place to a read value', async () => {
      const { first, maps: [mine] } = await makePair!();
      await first.transact(() => mine.set('c', { n: 1, seen: [] }));
      const failing = (async () => first.transact(() => {
        const draft = { ...mine.get('c')!, n: 99 };
        if (draft.n > 10) throw new Error('refused');
        mine.set('c', draft);
      }))();
      await expect(failing).rejects.toThrow('refused');
      expect(mine.get('c')).toEqual({ n: 1, seen: [] });
      await first.transact(() => {
        const counter = mine.get('c')!;
        counter.n += 1;
        counter.seen.push('in place');
      });
      expect(mine.get('c')).toEqual({ n: 2, seen: ['in place'] });
    });

    it('loses no update when two nodes change one entity concurrently', async () => {
      const { first, second, maps: [mine, theirs] } = await makePair!();
      await first.transact(() => mine.set('d', { n: 0, seen: [] }));
      await until(() => theirs.has('d'), 3000, 'the entity on the other node');
      const bump = (store: EntityStore, map: EntityMap<Counter>, tag: string) => store.transact(() => {
        const counter = map.get('d')!;
        map.set('d', { n: counter.n + 1, seen: [...counter.seen, tag] });
      });
      const COUNT = 15;
      await Promise.all(Array.from({ length: COUNT }, (_, i) => [bump(first, mine, `one-${i}`), bump(second, theirs, `two-${i}`)]).flat());
      await until(() => mine.get('d')?.n === 2 * COUNT && theirs.get('d')?.n === 2 * COUNT, 3000, 'every increment on both nodes');
      expect(new Set(mine.get('d')!.seen).size).toBe(2 * COUNT);
      expect(theirs.get('d')).toEqual(mine.get('d'));
    });
  });
}
