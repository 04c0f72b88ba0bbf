import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlagSource } from '../../../src/flags/index.js';
import { STAGES, type Stage } from '../../../src/flags/stage.js';
import { SERVICE_IDS, type ServiceId } from '../../../src/registry/contracts.js';
import { ADMIN_TOKEN, overridableFlags } from '../../support/flags.js';
import { api, nextEvent, startServer, until, type TestServer } from '../../support/harness.js';
import { scrape } from '../../support/prometheus.js';
import { setStage } from '../sdk/sdk-support.js';

const TYPES: Record<string, string> = {
  switchyard_stage: 'gauge',
  switchyard_rollout_percent: 'gauge',
  switchyard_connections: 'gauge',
  switchyard_events_published_total: 'counter',
  switchyard_events_delivered_total: 'counter',
  switchyard_events_received_total: 'counter',
  switchyard_refusals_total: 'counter',
  switchyard_errors_total: 'counter',
  switchyard_disconnects_total: 'counter',
  switchyard_switch_duration_seconds: 'histogram',
  switchyard_resumes_total: 'counter',
  switchyard_shadow_comparisons_total: 'counter',
  switchyard_slow_consumers_total: 'counter',
  switchyard_flow_refusals_total: 'counter',
  switchyard_delivery_latency_seconds: 'histogram',
  switchyard_flag_source_up: 'gauge',
  switchyard_flag_source_last_refresh_seconds: 'gauge',
  switchyard_process_cpu_seconds_total: 'counter',
};

/** Families whose every service has series from start-up (the family's own name or its histogram _count). */
const PER_SERVICE = [
  'switchyard_stage', 'switchyard_rollout_percent', 'switchyard_connections', 'switchyard_events_published_total',
  'switchyard_events_delivered_total', 'switchyard_events_received_total', 'switchyard_refusals_total', 'switchyard_errors_total',
  'switchyard_disconnects_total', 'switchyard_switch_duration_seconds_count', 'switchyard_resumes_total',
  'switchyard_shadow_comparisons_total', 'switchyard_slow_consumers_total', 'switchyard_delivery_latency_seconds_count',
];

describe('/metrics', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ flags: overridableFlags('legacy'), adminToken: ADMIN_TOKEN });
  });
  afterAll(async () => {
    await server.close();
  });

  it('has every family with its type, and every service\'s series, from start-up', async () => {
    const metrics = await scrape(server.url);
    for (const [name, type] of Object.entries(TYPES)) expect(metrics.types.get(name), name).toBe(type);
    expect([...metrics.types.keys()].filter((name) => name.startsWith('switchyard_process_process_'))).toEqual([]);
    for (const name of PER_SERVICE) {
      const services = new Set(metrics.samples.filter((s) => s.name === name).map((s) => s.labels.service));
      for (const service of SERVICE_IDS) expect(services.has(service), `${name}{service="${service}"}`).toBe(true);
    }
    for (const service of SERVICE_IDS) {
      for (const stage of STAGES) expect(metrics.value('switchyard_stage', { service, stage })).toBe(stage === 'legacy' ? 1 : 0);
      expect(metrics.value('switchyard_rollout_percent', { service })).toBe(100);
      for (const transport of ['legacy', 'socketio']) {
        for (const result of ['resumed', 'resync']) expect(metrics.value('switchyard_resumes_total', { service, transport, result })).toBe(0);
      }
      expect(metrics.value('switchyard_errors_total', { service, surface: 'rest', code: 'INTERNAL' })).toBe(0);
      expect(metrics.value('switchyard_refusals_total', { service, surface: 'socketio', code: 'SERVICE_ON_LEGACY' })).toBe(0);
    }
    expect(metrics.value('switchyard_flag_source_up', { source: 'plan' })).toBe(1);
    expect(metrics.value('switchyard_flag_source_up', { source: 'override' })).toBe(1);
  });

  it('counts connections, deliveries, received messages, refusals, resumes and switches as clients use the server', async () => {
    const legacy = await server.legacy('/api/mcp/logs/stream?switchyard_seq=1');
    await legacy.nextJson();
    legacy.send('ping');
    // Refused: the namespace is closed while the service is on legacy.
    await expect(server.sio('/logs')).rejects.toMatchObject({ data: { code: 'SERVICE_ON_LEGACY' } });
    await until(async () => (await scrape(server.url)).value('switchyard_connections', { service: 'mcp-logs', transport: 'legacy' }) === 1, 3000, 'legacy connection counted');
    await api(server.url, 'POST', '/api/producer/mcp-logs', { level: 'INFO', message: 'one' });
    await legacy.next((frame) => frame.includes('"one"'));
    expect((await api(server.url, 'POST', '/api/producer/crawl-progress/nope/progress', { status: 'crawling', percentage: 1 })).status).toBe(404);

    let metrics = await scrape(server.url);
    expect(metrics.value('switchyard_events_published_total', { service: 'mcp-logs' })).toBe(1);
    expect(metrics.value('switchyard_events_delivered_total', { service: 'mcp-logs', transport: 'legacy' })).toBe(1);
    expect(metrics.value('switchyard_events_received_total', { service: 'mcp-logs', transport: 'legacy' })).toBe(1);
    expect(metrics.value('switchyard_refusals_total', { service: 'mcp-logs', surface: 'socketio', code: 'SERVICE_ON_LEGACY' })).toBe(1);
    expect(metrics.value('switchyard_refusals_total', { service: 'crawl-progress', surface: 'rest', code: 'NOT_FOUND' })).toBe(1);
    expect(metrics.value('switchyard_delivery_latency_seconds_count', { service: 'mcp-logs', transport: 'legacy' })).toBe(1);

    // Cut over: the legacy client moves to the adapter, a Socket.IO client joins and resumes.
    await setStage(server, 'mcp-logs', 'socketio');
    metrics = await scrape(server.url);
    expect(metrics.value('switchyard_stage', { service: 'mcp-logs', stage: 'socketio' })).toBe(1);
    expect(metrics.value('switchyard_switch_duration_seconds_count', { service: 'mcp-logs', direction: 'cutover' })).toBe(1);
    const sio = await server.sio('/logs');
    const ack = await sio.emitWithAck('subscribe_logs', { since: 1 }) as { ok: boolean; resumed?: boolean };
    expect(ack).toMatchObject({ ok: true, resumed: true });
    const delivered = nextEvent(sio, 'log');
    await api(server.url, 'POST', '/api/producer/mcp-logs', { level: 'INFO', message: 'two' });
    await delivered;
    await legacy.next((frame) => frame.includes('"two"'));
    metrics = await scrape(server.url);
    expect(metrics.value('switchyard_connections', { service: 'mcp-logs', transport: 'socketio' })).toBe(1);
    expect(metrics.value('switchyard_resumes_total', { service: 'mcp-logs', transport: 'socketio', result: 'resumed' })).toBe(1);
    expect(metrics.value('switchyard_events_delivered_total', { service: 'mcp-logs', transport: 'socketio' })).toBe(1);
    expect(metrics.value('switchyard_events_delivered_total', { service: 'mcp-logs', transport: 'legacy' })).toBe(2);
    expect(metrics.value('switchyard_events_received_total', { service: 'mcp-logs', transport: 'socketio' })).toBe(1);
    expect(metrics.value('switchyard_events_published_total', { service: 'mcp-logs' })).toBe(2);

    // A legacy resume from an old sequence of another epoch: a resync.
    const stale = await server.legacy(`/api/mcp/logs/stream?switchyard_seq=1&switchyard_since=1&switchyard_epoch=elsewhere`);
    await stale.nextJson();
    expect((await scrape(server.url)).value('switchyard_resumes_total', { service: 'mcp-logs', transport: 'legacy', result: 'resync' })).toBe(1);

    // Roll back: the Socket.IO client is disconnected, and counted.
    await setStage(server, 'mcp-logs', 'legacy');
    await until(async () => (await scrape(server.url)).value('switchyard_disconnects_total', { service: 'mcp-logs', transport: 'socketio' }) === 1, 3000, 'Socket.IO disconnect counted');
    metrics = await scrape(server.url);
    expect(metrics.value('switchyard_connections', { service: 'mcp-logs', transport: 'socketio' })).toBe(0);
    expect(metrics.value('switchyard_switch_duration_seconds_count', { service: 'mcp-logs', direction: 'rollback' })).toBe(1);
  });
});

describe('/metrics with client authentication', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({
      flags: overridableFlags('socketio'),
      verifyClient: ({ token }) => (token === 'good' ? Promise.resolve({ subject: 'someone' }) : Promise.reject(new Error('bad token'))),
    });
  });
  afterAll(async () => {
    await server.close();
  });

  it('counts refused tokens on both doors under the service', async () => {
    await expect(server.sio('/logs', { auth: { token: 'bad' } })).rejects.toMatchObject({ data: { code: 'UNAUTHORIZED' } });
    await expect(server.legacy('/api/mcp/logs/stream?token=bad')).rejects.toThrow();
    await until(async () => (await scrape(server.url)).value('switchyard_refusals_total', { service: 'mcp-logs', surface: 'legacy', code: 'UNAUTHORIZED' }) === 1, 3000, 'legacy refusal counted');
    expect((await scrape(server.url)).value('switchyard_refusals_total', { service: 'mcp-logs', surface: 'socketio', code: 'UNAUTHORIZED' })).toBe(1);
  });
});

describe('/metrics during a gradual rollout (flags file)', () => {
  let server: TestServer;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchyard-rollout-metrics-'));
    const path = join(dir, 'flags.json');
    await writeFile(path, JSON.stringify({ 'agent-chat': { stage: 'shadow', rollout: { stage: 'socketio', percent: 25 } } }));
    const defaults = Object.fromEntries(SERVICE_IDS.map((id) => [id, 'legacy'])) as Record<ServiceId, Stage>;
    const flags = createFlagSource({ defaults, flagsFile: path });
    await flags.start();
    server = await startServer({ flags });
  });
  afterAll(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('shows the stage outside the rollout, the rollout percentage, and the file source healthy', async () => {
    const metrics = await scrape(server.url);
    expect(metrics.value('switchyard_stage', { service: 'agent-chat', stage: 'shadow' })).toBe(1);
    expect(metrics.value('switchyard_rollout_percent', { service: 'agent-chat' })).toBe(25);
    expect(metrics.value('switchyard_rollout_percent', { service: 'mcp-logs' })).toBe(100);
    expect(metrics.value('switchyard_flag_source_up', { source: 'file' })).toBe(1);
    expect(metrics.value('switchyard_flag_source_last_refresh_seconds', { source: 'file' })).toBeGreaterThan(0);
  });
});
