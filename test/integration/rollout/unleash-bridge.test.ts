/**
 * The bridge following a REAL Unleash server: an operator toggles a service's
 * flag in Unleash and the open connections follow within the refresh interval
 * plus a second. Skips (visibly) without PostgreSQL unless CI requires it.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UnleashFlagSource } from '../../../src/flags/unleash-flag-source.js';
import { OverrideFlagSource } from '../../../src/flags/override-flag-source.js';
import type { Stage } from '../../../src/flags/stage.js';
import { SERVICE_IDS, type ServiceId } from '../../../src/registry/contracts.js';
import { ADMIN_TOKEN, adminHeaders } from '../../support/flags.js';
import { api, nextEvent, startServer, until, type TestServer } from '../../support/harness.js';
import { isPostgresAvailable, requireServices, startUnleash, type UnleashHarness } from '../../support/unleash-server.js';

const REFRESH_MS = 500;
const FOLLOW_MS = REFRESH_MS + 1000;
const FLAG = 'switchyard.crawl-progress';
const ID = 'beef0000-0000-4000-8000-000000000004';
const postgres = await isPostgresAvailable();
if (!postgres) console.warn('unleash-bridge: PostgreSQL is not reachable at 127.0.0.1:5432; skipping');

describe.skipIf(!postgres && !requireServices())('the bridge follows Unleash (real server, PostgreSQL)', { timeout: 60_000 }, () => {
  let unleash: UnleashHarness;
  let server: TestServer;
  let flags: OverrideFlagSource;

  beforeAll(async () => {
    unleash = await startUnleash();
    await unleash.createFlag(FLAG);
  }, 120_000);
  afterAll(async () => {
    await unleash?.stop();
  });
  beforeEach(async () => {
    await unleash.disable(FLAG);
    const defaults = Object.fromEntries(SERVICE_IDS.map((id) => [id, 'legacy'])) as Record<ServiceId, Stage>;
    flags = new OverrideFlagSource(new UnleashFlagSource({ url: unleash.url, apiToken: unleash.clientToken, defaults, refreshInterval: REFRESH_MS, disableMetrics: true }));
    await flags.start();
    server = await startServer({ services: ['crawl-progress'], flags, adminToken: ADMIN_TOKEN });
    await api(server.url, 'POST', '/api/producer/crawl-progress', { progressId: ID });
  });
  afterEach(async () => {
    await server.close();
    await flags.close();
  });

  const stage = async (): Promise<unknown> => {
    const { body } = await api(server.url, 'GET', '/api/admin/stages', undefined, adminHeaders);
    return (body as { services: Array<{ stage: string; source: string }> }).services[0];
  };

  it('cuts over and rolls back live connections when the flag is toggled in Unleash', async () => {
    const legacy = await server.legacy(`/api/crawl-progress/${ID}?switchyard_notify=1`);
    await legacy.nextEvent();
    await expect(server.sio('/crawl')).rejects.toMatchObject({ data: { code: 'SERVICE_ON_LEGACY' } });

    const toggledAt = Date.now();
    await unleash.enable(FLAG);
    // The opted-in legacy client is told as soon as the bridge has switched it.
    const notice = JSON.parse(await legacy.next((f) => f.includes('switchyard_stage'), FOLLOW_MS)) as Record<string, unknown>;
    expect(notice).toMatchObject({ stage: 'socketio', namespace: '/crawl' });
    expect(Date.now() - toggledAt).toBeLessThanOrEqual(FOLLOW_MS);
    expect(await stage()).toMatchObject({ stage: 'socketio', source: 'unleash' });

    const socket = await server.sio('/crawl');
    await socket.emitWithAck('join_crawl', { progress_id: ID });
    await api(server.url, 'POST', `/api/producer/crawl-progress/${ID}/progress`, { status: 'crawling', percentage: 7 });
    // The legacy client, now served through the adapter, still gets the frame.
    expect(JSON.parse(await legacy.nextEvent())).toMatchObject({ type: 'crawl_progress', data: { percentage: 7 } });

    const rolledBack = nextEvent(socket, 'switchyard:stage', FOLLOW_MS + 500);
    await unleash.disable(FLAG);
    expect(await rolledBack).toMatchObject({ code: 'STAGE_CHANGED', stage: 'legacy' });
    const audit = await api(server.url, 'GET', '/api/admin/audit', undefined, adminHeaders);
    expect((audit.body as { entries: unknown[] }).entries).toEqual([
      expect.objectContaining({ service: 'crawl-progress', from: 'legacy', to: 'socketio', source: 'unleash' }),
      expect.objectContaining({ service: 'crawl-progress', from: 'socketio', to: 'legacy', source: 'unleash' }),
    ]);
  });

  it('a local override wins over Unleash until cleared', async () => {
    await unleash.enable(FLAG);
    await until(async () => ((await stage()) as { stage: string }).stage === 'socketio', FOLLOW_MS, 'cut over');
    await api(server.url, 'PUT', '/api/admin/stages/crawl-progress', { stage: 'legacy' }, adminHeaders);
    expect(await stage()).toMatchObject({ stage: 'legacy', source: 'override' });
    await api(server.url, 'DELETE', '/api/admin/stages/crawl-progress', undefined, adminHeaders);
    expect(await stage()).toMatchObject({ stage: 'socketio', source: 'unleash' });
  });

  it('the refresh endpoint pulls flags at once', async () => {
    await unleash.enable(FLAG);
    const res = await api(server.url, 'POST', '/api/admin/flags/refresh', undefined, adminHeaders);
    expect(res.status).toBe(200);
    expect(await stage()).toMatchObject({ stage: 'socketio' });
  });
});
