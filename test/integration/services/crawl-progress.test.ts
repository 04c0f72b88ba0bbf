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
});
