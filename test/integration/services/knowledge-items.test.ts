import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Socket } from 'socket.io-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { api, nextEvent, recordEvents, startServer, until, type TestServer } from '../../support/harness.js';

const PATH = '/api/knowledge-items/stream';
const PROGRESS_ID = '183e2615-fca4-4a71-a051-ab5a0292f9ff';
const EMPTY = '{"type":"knowledge_items_update","data":{"items":[],"total":0,"page":1,"per_page":20,"pages":1}}';
const HEARTBEAT = '{"type":"heartbeat"}';

const corpus = JSON.parse(readFileSync(fileURLToPath(new URL('../../fixtures/protocol/legacy-frames.json', import.meta.url)), 'utf8')) as Record<string, { serverToClient: Array<{ type: string; wire?: string }> }>;
const wire = (type: string): string => corpus['knowledge-items']!.serverToClient.find((f) => f.type === type)!.wire!;

/** The source behind the legacy-frames.json item (metadata keys already defaults keep their place). */
const EXAMPLE_SOURCE = {
  title: 'Example Docs',
  url: 'https://docs.example.com/getting-started',
  total_words: 48210,
  metadata: { knowledge_type: 'technical', tags: ['python'], description: 'Developer documentation for Example' },
  created_at: '2025-06-18T21:10:44.102+00:00',
  updated_at: '2025-06-18T21:14:03.551+00:00',
};

describe.each(['legacy', 'adapter'] as const)('knowledge-items with the legacy endpoint served in %s mode', (mode) => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startServer({
      services: ['knowledge-items', 'crawl-progress'],
      heartbeatIntervals: { 'knowledge-items': 100, 'crawl-progress': 60_000 },
      legacyMode: () => mode,
    });
  });
  afterEach(async () => {
    await server.close();
  });

  async function subscribed(): Promise<{ socket: Socket; snapshot: Record<string, unknown> }> {
    const socket = await server.sio('/knowledge');
    const snapshot = nextEvent(socket, 'knowledge_items_update');
    const ack = await socket.emitWithAck('subscribe_items', {});
    expect(ack).toMatchObject({ ok: true, room: 'knowledge' });
    return { socket, snapshot: await snapshot };
  }

  it('sends all items once on connect, a heartbeat every interval, and never answers the client', async () => {
    const legacy = await server.legacy(PATH);
    expect(await legacy.nextEvent()).toBe(EMPTY);
    legacy.send('ping');
    legacy.send('{"type":"ping"}');
    expect(await legacy.next((f) => f === HEARTBEAT, 1000)).toBe(HEARTBEAT);
    expect(await legacy.next((f) => f === HEARTBEAT, 1000)).toBe(HEARTBEAT);
    expect(legacy.frames.filter((f) => f !== HEARTBEAT)).toEqual([EMPTY]);
  });

  it('builds items as legacy-frames.json shows them, and serves the same list on REST', async () => {
    const put = await api(server.url, 'PUT', '/api/producer/knowledge-items/docs.example.com', EXAMPLE_SOURCE);
    expect(put).toMatchObject({ status: 201, body: { id: 'docs.example.com', metadata: { update_frequency: 7, file_name: null } } });
    const legacy = await server.legacy(PATH);
    expect(await legacy.nextEvent()).toBe(wire('knowledge_items_update'));
    const rest = await api(server.url, 'GET', '/api/knowledge-items');
    expect(JSON.stringify(rest.body)).toBe(wire('knowledge_items_update').slice('{"type":"knowledge_items_update","data":'.length, -1));
    const { snapshot } = await subscribed();
    expect(snapshot).toMatchObject({ total: 1, page: 1, per_page: 20, pages: 1, reason: 'subscribe', seq: 1 });
  });

  it('pushes list changes to Socket.IO only, and the crawl/upload broadcasts to both, in the same order', async () => {
    const legacy = await server.legacy(PATH);
    expect(await legacy.nextEvent()).toBe(EMPTY);
    const { socket } = await subscribed();
    const seen = recordEvents(socket, ['knowledge_items_update', 'crawl_completed', 'upload_completed', 'upload_error']);

    await api(server.url, 'PUT', '/api/producer/knowledge-items/docs.example.com', EXAMPLE_SOURCE);
    // crawl-progress publishes crawl_completed to the knowledge room when a crawl completes.
    await api(server.url, 'POST', '/api/producer/crawl-progress', { progressId: PROGRESS_ID, currentUrl: 'https://docs.example.com/' });
    await api(server.url, 'POST', `/api/producer/crawl-progress/${PROGRESS_ID}/complete`, { chunksStored: 3, wordCount: 10 });
    const uploaded = await api(server.url, 'POST', '/api/producer/knowledge-items/upload-completed', { filename: 'spec.pdf', progressId: PROGRESS_ID, sourceId: 'upload_1750356000' });
    expect(uploaded.status).toBe(200);
    await api(server.url, 'POST', '/api/producer/knowledge-items/upload-error', { filename: 'spec.pdf', progressId: PROGRESS_ID, error: 'Failed to extract text from PDF' });
    expect(await api(server.url, 'DELETE', '/api/producer/knowledge-items/docs.example.com')).toEqual({ status: 200, body: { source_id: 'docs.example.com', deleted: true } });

    // The legacy wire: no list frames after connect (legacy.md §8), the three broadcasts exactly.
    expect(await legacy.nextEvent()).toBe(wire('crawl_completed'));
    expect(await legacy.nextEvent()).toBe(wire('upload_completed'));
    expect(await legacy.nextEvent()).toBe(wire('upload_error'));
    await until(() => seen.length === 5, 3000, 'five Socket.IO events');
    expect(seen.map((e) => [e.event, e.payload.seq, e.payload.total ?? null])).toEqual([
      ['knowledge_items_update', 1, 1],
      ['crawl_completed', 2, null],
      ['upload_completed', 3, null],
      ['upload_error', 4, null],
      ['knowledge_items_update', 5, 0],
    ]);
    expect(seen[1]!.payload).toEqual({ url: 'https://docs.example.com/', success: true, message: 'Crawling completed for https://docs.example.com/', progressId: PROGRESS_ID, seq: 2 });
    expect(seen[0]!.payload.reason).toBe('change');
    await legacy.next((f) => f === HEARTBEAT, 1000);
    expect(legacy.frames.filter((f) => f !== HEARTBEAT)).toHaveLength(4);
  });

  it('sends an opted-in (SDK) legacy client the list changes the legacy wire has no frame for, with their sequence', async () => {
    const sdk = await server.legacy(`${PATH}?switchyard_seq=1`);
    expect(await sdk.nextEvent()).toBe(EMPTY);
    expect(JSON.parse(await sdk.nextEvent())).toEqual({ type: 'switchyard_resume', resumed: false, seq: 0, epoch: expect.any(String) });
    await api(server.url, 'PUT', '/api/producer/knowledge-items/docs.example.com', EXAMPLE_SOURCE);
    await api(server.url, 'POST', '/api/producer/knowledge-items/upload-error', { filename: 'spec.pdf', progressId: PROGRESS_ID, error: 'Failed to extract text from PDF' });
    expect(JSON.parse(await sdk.nextEvent())).toMatchObject({ type: 'switchyard_event', event: 'knowledge_items_update', payload: { total: 1, reason: 'change' }, seq: 1 });
    expect(await sdk.nextEvent()).toBe(`${wire('upload_error').slice(0, -1)},"seq":2}`);
  });

  it('replaces the whole list in one change, keeping a replaced source in its place', async () => {
    const { socket } = await subscribed();
    const seen = recordEvents(socket, ['knowledge_items_update']);
    await api(server.url, 'PUT', '/api/producer/knowledge-items', { sources: [{ source_id: 'a', summary: 'A' }, { source_id: 'b', url: 'file://b.pdf' }] });
    await api(server.url, 'PUT', '/api/producer/knowledge-items/a', { title: 'A2', metadata: { source_type: 'file', owner: 'me' } });
    await until(() => seen.length === 2, 3000, 'two list updates');
    const items = (seen[1]!.payload as { items: Array<{ id: string; title: string; metadata: Record<string, unknown> }> }).items;
    expect(items.map((i) => [i.id, i.title, i.metadata.source_type])).toEqual([['a', 'A2', 'file'], ['b', 'Untitled', 'file']]);
    expect(Object.keys(items[0]!.metadata).at(-1)).toBe('owner');
    const legacy = await server.legacy(PATH);
    expect(JSON.parse(await legacy.nextEvent())).toMatchObject({ data: { total: 2, pages: 1 } });
  });

  it('rejects bad bodies with 400, unknown items with 404 and bad subscriptions with an ack error', async () => {
    expect(await api(server.url, 'PUT', '/api/producer/knowledge-items/x', { total_words: -1 })).toMatchObject({ status: 400, body: { error: { code: 'INVALID_PAYLOAD' } } });
    expect(await api(server.url, 'PUT', '/api/producer/knowledge-items', { sources: [{ title: 'no id' }] })).toMatchObject({ status: 400 });
    expect(await api(server.url, 'POST', '/api/producer/knowledge-items/upload-error', { filename: 'a' })).toMatchObject({ status: 400 });
    expect(await api(server.url, 'DELETE', '/api/producer/knowledge-items/nope')).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    expect(await api(server.url, 'GET', '/api/producer/knowledge-items/nope')).toMatchObject({ status: 404 });
    const socket = await server.sio('/knowledge');
    expect(await socket.emitWithAck('subscribe_items', { page: 2 })).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
    expect(await socket.emitWithAck('subscribe_items')).toMatchObject({ ok: true, seq: 0 });
    expect(await socket.emitWithAck('unsubscribe_items', {})).toEqual({ ok: true });
  });
});
