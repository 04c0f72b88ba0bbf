import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { api, nextEvent, startServer, type TestServer } from '../../support/harness.js';

const ID = '183e2615-fca4-4a71-a051-ab5a0292f9ff';

describe('crawl-progress on both transports', () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startServer({ services: ['crawl-progress'], heartbeatIntervals: { 'crawl-progress': 100 } });
  });
  afterEach(async () => {
    await server.close();
  });

  it('sends the waiting frame to a legacy client of an unknown crawl', async () => {
    const legacy = await server.legacy(`/api/crawl-progress/${ID}`);
    expect(await legacy.nextEvent()).toBe(
      `{"type":"crawl_progress","data":{"progressId":"${ID}","status":"waiting","percentage":0,"logs":["Waiting for crawl to start..."]}}`,
    );
  });

  it('answers the raw text ping with pong, ignores the JSON ping, and beats on its cadence', async () => {
    const legacy = await server.legacy(`/api/crawl-progress/${ID}`);
    await legacy.nextEvent();
    legacy.send('{"type":"ping"}');
    legacy.send('ping');
    expect(await legacy.next((f) => f.includes('pong'))).toBe('{"type":"pong"}');
    expect(await legacy.next((f) => f.includes('heartbeat'), 1000)).toBe('{"type":"heartbeat"}');
  });

  it('delivers producer updates to a legacy and a Socket.IO subscriber in the same order', async () => {
    const { body: started } = await api(server.url, 'POST', '/api/producer/crawl-progress', { progressId: ID, currentUrl: 'https://docs.example.com/' });
    expect(started).toMatchObject({ progressId: ID, status: 'starting' });

    const legacy = await server.legacy(`/api/crawl-progress/${ID}`);
    const snapshotFrame = JSON.parse(await legacy.nextEvent());
    expect(snapshotFrame).toMatchObject({ type: 'crawl_progress', data: { status: 'starting', progressId: ID } });

    const socket = await server.sio('/crawl');
    const snapshot = nextEvent(socket, 'progress_update');
    const ack = await socket.emitWithAck('join_crawl', { progress_id: ID });
    expect(ack).toMatchObject({ ok: true, room: `crawl_${ID}`, seq: 1 });
    expect(await snapshot).toMatchObject({ status: 'starting', seq: 1 });

    const seen: Array<{ status: unknown; seq: unknown }> = [];
    socket.on('progress_update', (p: { status: string; seq: number }) => seen.push({ status: p.status, seq: p.seq }));
    await api(server.url, 'POST', `/api/producer/crawl-progress/${ID}/progress`, { status: 'crawling', percentage: 5, log: 'Depth 1' });
    await api(server.url, 'POST', `/api/producer/crawl-progress/${ID}/complete`, { chunksStored: 3, wordCount: 10 });

    const first = JSON.parse(await legacy.nextEvent());
    const second = JSON.parse(await legacy.nextEvent());
    expect([first.type, first.data.status, second.type, second.data.status]).toEqual(['crawl_progress', 'crawling', 'crawl_completed', 'completed']);
    expect(Object.keys(second.data).slice(0, 5)).toEqual(['status', 'percentage', 'start_time', 'logs', 'progressId']);
    await expect.poll(() => seen.length).toBe(2);
    expect(seen).toEqual([{ status: 'crawling', seq: 2 }, { status: 'completed', seq: 3 }]);
  });

  it('rejects bad producer bodies with 400 JSON and unknown crawls with 404', async () => {
    const bad = await api(server.url, 'POST', `/api/producer/crawl-progress/${ID}/progress`, { status: 'crawling', percentage: 1 });
    expect(bad).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    await api(server.url, 'POST', '/api/producer/crawl-progress', { progressId: ID });
    const invalid = await api(server.url, 'POST', `/api/producer/crawl-progress/${ID}/progress`, { status: 1 });
    expect(invalid).toMatchObject({ status: 400, body: { error: { code: 'INVALID_PAYLOAD' } } });
    const malformed = await api(server.url, 'POST', '/api/producer/crawl-progress', '{not json');
    expect(malformed).toMatchObject({ status: 400, body: { error: { code: 'INVALID_PAYLOAD' } } });
  });

  it('answers a bad join with an ack error and keeps the socket', async () => {
    const socket = await server.sio('/crawl');
    expect(await socket.emitWithAck('join_crawl', { nope: 1 })).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
    expect(await socket.emitWithAck('what_is_this', {})).toMatchObject({ ok: false, error: { code: 'UNKNOWN_EVENT' } });
    expect(await socket.emitWithAck('join_crawl', { progress_id: ID })).toMatchObject({ ok: true });
  });
  it('applies a batch of updates in order, each as its own progress call, and reports each outcome', async () => {
    const other = `${ID}-b`;
    await api(server.url, 'POST', '/api/producer/crawl-progress', { progressId: ID });
    await api(server.url, 'POST', '/api/producer/crawl-progress', { progressId: other });
    const legacy = await server.legacy(`/api/crawl-progress/${ID}`);
    const legacyOther = await server.legacy(`/api/crawl-progress/${other}`);
    await legacy.nextEvent();
    await legacyOther.nextEvent();
    const socket = await server.sio('/crawl');
    await socket.emitWithAck('join_crawl', { progress_id: ID });
    const seen: Array<{ percentage: unknown; seq: unknown }> = [];
    socket.on('progress_update', (p: { percentage: number; seq: number }) => seen.push({ percentage: p.percentage, seq: p.seq }));

    const batch = await api(server.url, 'POST', '/api/producer/crawl-progress/batch', {
      updates: [
        { progressId: ID, status: 'crawling', percentage: 10, log: 'Depth 1' },
        { progressId: 'never-started', status: 'crawling', percentage: 1 },
        { progressId: other, status: 'crawling', percentage: 50 },
        { progressId: ID, status: 'crawling', percentage: 20, log: 'Depth 2', pagesFound: 7 },
      ],
    });
    expect(batch).toEqual({ status: 200, body: { results: [
      { ok: true, progressId: ID },
      { ok: false, progressId: 'never-started', error: { code: 'NOT_FOUND', message: 'unknown crawl never-started' } },
      { ok: true, progressId: other },
      { ok: true, progressId: ID },
    ] } });

    const first = JSON.parse(await legacy.nextEvent()) as { type: string; data: Record<string, unknown> };
    const second = JSON.parse(await legacy.nextEvent()) as { type: string; data: Record<string, unknown> };
    expect([first.data.percentage, first.data.logs, second.data.percentage, second.data.logs, second.data.pagesFound])
      .toEqual([10, ['Starting crawl...', 'Depth 1'], 20, ['Starting crawl...', 'Depth 1', 'Depth 2'], 7]);
    // The same bytes as the single call would have produced: the state as the REST API reads it.
    const state = await api(server.url, 'GET', `/api/producer/crawl-progress/${ID}`);
    expect(second).toEqual({ type: 'crawl_progress', data: state.body });
    expect(JSON.parse(await legacyOther.nextEvent())).toMatchObject({ data: { progressId: other, percentage: 50 } });
    await expect.poll(() => seen.length).toBe(2);
    expect(seen).toEqual([{ percentage: 10, seq: 2 }, { percentage: 20, seq: 3 }]);
  });

  it('refuses a malformed or oversized batch whole, applying nothing', async () => {
    await api(server.url, 'POST', '/api/producer/crawl-progress', { progressId: ID });
    const malformed = await api(server.url, 'POST', '/api/producer/crawl-progress/batch', {
      updates: [{ progressId: ID, status: 'crawling', percentage: 10 }, { progressId: ID, status: 'crawling', percentage: 101 }],
    });
    expect(malformed).toMatchObject({ status: 400, body: { error: { code: 'INVALID_PAYLOAD', message: expect.stringContaining('updates.1.percentage') } } });
    const tooMany = await api(server.url, 'POST', '/api/producer/crawl-progress/batch', {
      updates: Array.from({ length: 101 }, (_, i) => ({ progressId: ID, status: 'crawling', percentage: i % 100 })),
    });
    expect(tooMany).toMatchObject({ status: 400, body: { error: { code: 'INVALID_PAYLOAD' } } });
    expect(await api(server.url, 'POST', '/api/producer/crawl-progress/batch', { updates: [] })).toMatchObject({ status: 400 });
    expect(await api(server.url, 'POST', '/api/producer/crawl-progress/batch', [])).toMatchObject({ status: 400 });
    const state = await api(server.url, 'GET', `/api/producer/crawl-progress/${ID}`);
    expect(state.body).toMatchObject({ status: 'starting', percentage: 0 });
    expect(server.sy.hub.head(`crawl_${ID}`)).toBe(1);
  });
});
