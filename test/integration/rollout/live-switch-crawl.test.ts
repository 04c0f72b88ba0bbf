import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Stage } from '../../../src/flags/stage.js';
import { ADMIN_TOKEN, adminHeaders, overridableFlags } from '../../support/flags.js';
import { api, nextEvent, startServer, type TestServer } from '../../support/harness.js';

const ID = 'c0ffee00-0000-4000-8000-000000000001';
const path = `/api/crawl-progress/${ID}`;

describe('live stage switching (crawl-progress)', () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startServer({ services: ['crawl-progress'], flags: overridableFlags('legacy'), adminToken: ADMIN_TOKEN });
    await api(server.url, 'POST', '/api/producer/crawl-progress', { progressId: ID, currentUrl: 'https://a.example/' });
  });
  afterEach(async () => {
    await server.close();
  });

  const setStage = async (stage: Stage): Promise<void> => {
    const res = await api(server.url, 'PUT', '/api/admin/stages/crawl-progress', { stage }, adminHeaders);
    expect(res).toMatchObject({ status: 200, body: { stage, source: 'override' } });
  };
  let step = 0;
  const produce = async (): Promise<number> => {
    step++;
    await api(server.url, 'POST', `/api/producer/crawl-progress/${ID}/progress`, { status: 'crawling', percentage: step, log: `step ${step}` });
    return step;
  };

  it('keeps a legacy client receiving every event exactly once across legacy → shadow → socketio → legacy → retired → legacy', async () => {
    const plain = await server.legacy(path);
    const sequenced = await server.legacy(`${path}?switchyard_seq=1`);
    await plain.nextEvent();
    await sequenced.nextEvent();
    // An opted-in client learns which head its opening snapshot stands at.
    expect(JSON.parse(await sequenced.nextEvent())).toEqual({ type: 'switchyard_resume', resumed: false, seq: 1, epoch: expect.any(String) });
    const expected: number[] = [];
    for (const stage of ['legacy', 'shadow', 'socketio', 'legacy', 'retired', 'legacy'] as const) {
      await setStage(stage);
      expected.push(await produce(), await produce());
    }
    for (const client of [plain, sequenced]) {
      const got: number[] = [];
      for (let i = 0; i < expected.length; i++) got.push((JSON.parse(await client.nextEvent()) as { data: { percentage: number } }).data.percentage);
      expect(got).toEqual(expected);
    }
    // The sequenced client saw strictly consecutive sequence numbers.
    const seqs = sequenced.frames.filter((f) => f.includes('"seq"')).map((f) => (JSON.parse(f) as { seq: number }).seq);
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
    // Unmodified clients never see the opt-in field.
    expect(plain.frames.some((f) => f.includes('"seq"'))).toBe(false);
  });

  it('refuses Socket.IO while legacy, admits it when cut over, and notices + disconnects on rollback', async () => {
    await expect(server.sio('/crawl')).rejects.toMatchObject({ data: { code: 'SERVICE_ON_LEGACY', fallback_url: '/api/crawl-progress/:progress_id' } });
    await setStage('socketio');
    const socket = await server.sio('/crawl');
    await socket.emitWithAck('join_crawl', { progress_id: ID });
    const update = nextEvent<{ seq: number; percentage: number }>(socket, 'progress_update');
    const n = await produce();
    expect(await update).toMatchObject({ percentage: n });
    const notice = nextEvent(socket, 'switchyard:stage');
    const gone = new Promise((resolve) => socket.once('disconnect', resolve));
    await setStage('legacy');
    expect(await notice).toMatchObject({ code: 'STAGE_CHANGED', stage: 'legacy', fallback_url: '/api/crawl-progress/:progress_id' });
    await gone;
    await expect(server.sio('/crawl')).rejects.toMatchObject({ data: { code: 'SERVICE_ON_LEGACY' } });
  });

  it('refuses a new legacy connection when retired, with 4410 and a JSON hint', async () => {
    await setStage('retired');
    const client = await server.legacy(path);
    const hint = JSON.parse(await client.next()) as Record<string, unknown>;
    expect(hint).toMatchObject({ type: 'error', code: 'SERVICE_RETIRED', namespace: '/crawl' });
    expect((await client.waitClose()).code).toBe(4410);
  });

  it('shadow mode counts matching frames and records an audit trail', async () => {
    await setStage('shadow');
    const client = await server.legacy(path);
    await client.nextEvent();
    await produce();
    await client.nextEvent();
    const shadow = await api(server.url, 'GET', '/api/admin/shadow/crawl-progress', undefined, adminHeaders);
    expect(shadow.body).toMatchObject({ mismatches: 0, consistency: 1 });
    expect((shadow.body as { matches: number }).matches).toBeGreaterThanOrEqual(2);
    const audit = await api(server.url, 'GET', '/api/admin/audit', undefined, adminHeaders);
    expect(audit.body).toMatchObject({ entries: [{ service: 'crawl-progress', from: 'legacy', to: 'shadow', source: 'override' }] });
  });

  it('answers admin API misuse with 4xx JSON', async () => {
    expect(await api(server.url, 'GET', '/api/admin/stages')).toMatchObject({ status: 401, body: { error: { code: 'UNAUTHORIZED' } } });
    expect(await api(server.url, 'GET', '/api/admin/stages', undefined, { authorization: 'Bearer nope' })).toMatchObject({ status: 401 });
    expect(await api(server.url, 'PUT', '/api/admin/stages/no-such', { stage: 'legacy' }, adminHeaders)).toMatchObject({ status: 404, body: { error: { code: 'UNKNOWN_SERVICE' } } });
    expect(await api(server.url, 'PUT', '/api/admin/stages/crawl-progress', { stage: 'sideways' }, adminHeaders)).toMatchObject({ status: 400, body: { error: { code: 'INVALID_PAYLOAD' } } });
    expect(await api(server.url, 'PUT', '/api/admin/stages/crawl-progress', '{', adminHeaders)).toMatchObject({ status: 400 });
  });
});
