import { pino } from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadPlans } from '../../../src/adapter/plan-loader.js';
import type { ServicePlan } from '../../../src/adapter/plan-schema.js';
import { postgresIso } from '../../../src/domain/clock.js';
import type { RoomEvent } from '../../../src/domain/event-log.js';
import { MemoryEventLog } from '../../../src/domain/memory-event-log.js';
import { RoomHub } from '../../../src/domain/room-hub.js';
import { KnowledgeItemsDomain, toItem } from '../../../src/services/knowledge-items/domain.js';

const NOW = Date.UTC(2025, 5, 19, 18, 20, 0, 410);
let plan: ServicePlan;
beforeAll(async () => {
  plan = (await loadPlans(undefined, ['knowledge-items'])).get('knowledge-items')!;
});

function setup(): { domain: KnowledgeItemsDomain; published: RoomEvent[] } {
  const hub = new RoomHub(new MemoryEventLog());
  const published: RoomEvent[] = [];
  hub.onBroadcast((_service, event) => published.push(event));
  return { domain: new KnowledgeItemsDomain({ hub, clock: () => NOW, logger: pino({ level: 'silent' }), plan }), published };
}

const METADATA_KEYS = ['knowledge_type', 'tags', 'source_type', 'status', 'description', 'chunks_count', 'word_count', 'last_scraped', 'file_name', 'file_type', 'update_frequency'];

describe('toItem', () => {
  it('fills the legacy defaults, in the legacy key order', () => {
    const item = toItem({ source_id: 's1' });
    expect(Object.keys(item)).toEqual(['id', 'title', 'url', 'source_id', 'metadata', 'created_at', 'updated_at']);
    expect(Object.keys(item.metadata)).toEqual(METADATA_KEYS);
    expect(item).toEqual({
      id: 's1', title: 'Untitled', url: 'source://s1', source_id: 's1',
      metadata: {
        knowledge_type: 'technical', tags: [], source_type: 'url', status: 'active', description: '', chunks_count: 0, word_count: 0,
        last_scraped: null, file_name: null, file_type: null, update_frequency: 7,
      },
      created_at: null, updated_at: null,
    });
  });

  it('spreads the source metadata over the defaults: known keys keep their place, new keys follow', () => {
    const item = toItem({ source_id: 's1', summary: 'Sum', total_words: 9, metadata: { owner: 'me', status: 'archived', file_name: null, tags: ['a'] } });
    expect(Object.keys(item.metadata)).toEqual([...METADATA_KEYS, 'owner']);
    expect(item.metadata).toMatchObject({ status: 'archived', tags: ['a'], description: 'Sum', chunks_count: 9, word_count: 9, owner: 'me' });
    expect(item.title).toBe('Sum');
  });

  it('reads like Python dict.get: a present null stays null, an absent key takes the fallback', () => {
    const row = JSON.parse('{"source_id":"s1","title":null,"summary":"Sum","update_frequency":null}') as Parameters<typeof toItem>[0];
    const item = toItem(row);
    expect(item.title).toBeNull();
    expect(item.metadata.update_frequency).toBeNull();
  });

  it('takes a stored source_type, else "file" for file:// URLs', () => {
    expect(toItem({ source_id: 's', url: 'file:///tmp/a.pdf' }).metadata.source_type).toBe('file');
    expect(toItem({ source_id: 's', url: 'https://x/', metadata: { source_type: 'file' } }).metadata.source_type).toBe('file');
  });
});

describe('KnowledgeItemsDomain', () => {
  it('publishes the whole list with the paging constants after every change', () => {
    const { domain, published } = setup();
    domain.upsert({ source_id: 'a' });
    domain.upsert({ source_id: 'b' });
    const replaced = domain.upsert({ source_id: 'a', title: 'A2', created_at: undefined });
    expect(replaced.created).toBe(false);
    expect(replaced.item).toMatchObject({ title: 'A2', created_at: postgresIso(NOW), updated_at: postgresIso(NOW) });
    domain.remove('b');
    expect(published.map((e) => [e.room, e.event, e.seq, e.payload.total, e.payload.reason])).toEqual([
      ['knowledge', 'knowledge_items_update', 1, 1, 'change'],
      ['knowledge', 'knowledge_items_update', 2, 2, 'change'],
      ['knowledge', 'knowledge_items_update', 3, 2, 'change'],
      ['knowledge', 'knowledge_items_update', 4, 1, 'change'],
    ]);
    expect(domain.list()).toMatchObject({ total: 1, page: 1, per_page: 20, pages: 1 });
    expect(Object.keys(published[0]!.payload)).toEqual(['items', 'total', 'page', 'per_page', 'pages', 'reason']);
  });

  it('publishes the upload broadcasts in the legacy key order', () => {
    const { domain, published } = setup();
    domain.uploadCompleted({ filename: 'f.pdf', progressId: 'p', sourceId: 's' });
    domain.uploadError({ filename: 'f.pdf', progressId: 'p', error: 'bad' });
    expect(published.map((e) => [e.event, Object.keys(e.payload)])).toEqual([
      ['upload_completed', ['filename', 'success', 'message', 'progressId', 'sourceId']],
      ['upload_error', ['filename', 'success', 'error', 'progressId']],
    ]);
    expect(published[0]!.payload.message).toBe('Document upload completed for f.pdf');
  });
});
