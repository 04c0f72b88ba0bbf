import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Socket } from 'socket.io-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { postgresIso, pythonLocalIso } from '../../../src/domain/clock.js';
import { api, nextEvent, recordEvents, startServer, until, type TestServer } from '../../support/harness.js';

const EXAMPLE_ID = '9f2c4e6a8b0d1f3e5a7c9e1b3d5f7a9c';
const EXAMPLE_PROJECT_ID = 'b7e4c1a2-3d5f-4e6a-8b9c-0d1e2f3a4b5c';
const EXAMPLE_CREATED = '2025-06-19T18:20:00.41+00:00';
const EXAMPLE_START = '2025-06-19T14:20:00.250000';
// A pinned clock makes every server-made timestamp predictable.
const NOW = new Date(2025, 5, 19, 14, 20, 0, 250).getTime();
const PROGRESS_EVENTS = ['project_progress', 'project_completed', 'project_error'] as const;

const corpus = JSON.parse(readFileSync(fileURLToPath(new URL('../../fixtures/protocol/legacy-frames.json', import.meta.url)), 'utf8')) as Record<string, { serverToClient: Array<{ type: string; wire?: string }> }>;
const examples = corpus['project-creation']!.serverToClient.filter((f) => f.wire !== undefined).map((f) => f.wire!);
/** The legacy-frames.json wire whose data has this step, with the ids and times this server made. */
function exampleWire(step: string, ids: { progressId: string; projectId?: string }): string {
  const wire = examples.find((w) => w.includes(`"step":"${step}"`))!;
  return wire
    .replaceAll(EXAMPLE_ID, ids.progressId)
    .replaceAll(EXAMPLE_PROJECT_ID, ids.projectId ?? EXAMPLE_PROJECT_ID)
    .replaceAll(EXAMPLE_CREATED, postgresIso(NOW))
    .replaceAll(EXAMPLE_START, pythonLocalIso(NOW));
}

const waitingWire = (id: string): string => `{"type":"connection_established","data":{"progressId":"${id}","status":"waiting"}}`;
const isStep = (step: string) => (frame: string): boolean => frame.includes(`"step":"${step}"`);

describe.each(['legacy', 'adapter'] as const)('project-creation with the legacy endpoint served in %s mode', (mode) => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startServer({ services: ['project-creation'], heartbeatIntervals: { 'project-creation': 100 }, clock: () => NOW, legacyMode: () => mode });
  });
  afterEach(async () => {
    await server.close();
  });

  async function subscribed(progressId: string): Promise<{ socket: Socket; snapshot: Record<string, unknown> }> {
    const socket = await server.sio('/project');
    const snapshot = nextEvent(socket, 'project_progress');
    const ack = await socket.emitWithAck('subscribe_progress', { progress_id: progressId });
    expect(ack).toMatchObject({ ok: true, room: `project_creation_${progressId}` });
    return { socket, snapshot: await snapshot };
  }

  it('sends connection_established for an untracked id, pings every interval and never answers the client', async () => {
    const legacy = await server.legacy(`/api/project-creation-progress/${EXAMPLE_ID}`);
    expect(await legacy.nextEvent()).toBe(waitingWire(EXAMPLE_ID));
    legacy.send('ping');
    legacy.send('{"type":"ping"}');
    await legacy.next((f) => f === '{"type":"ping"}', 1000);
    await legacy.next((f) => f === '{"type":"ping"}', 1000);
    expect(legacy.frames.filter((f) => f !== '{"type":"ping"}')).toEqual([waitingWire(EXAMPLE_ID)]);

    const { snapshot } = await subscribed(EXAMPLE_ID);
    expect(snapshot).toEqual({ progressId: EXAMPLE_ID, status: 'waiting', seq: 0 });
  });

  it('runs the legacy POST /api/projects flow: status stays "starting" up to the 100 % frame of legacy-frames.json', async () => {
    const posted = await api(server.url, 'POST', '/api/projects', { title: 'Acme Portal', description: 'Customer portal' });
    expect(posted.status).toBe(200);
    const { progress_id: progressId, ...rest } = posted.body as { progress_id: string };
    expect(progressId).toMatch(/^[0-9a-f]{32}$/);
    expect(rest).toEqual({ status: 'started', message: 'Project creation started. Connect to WebSocket for progress updates.' });

    const legacy = await server.legacy(`/api/project-creation-progress/${progressId}`);
    expect(await legacy.nextEvent()).toBe(exampleWire('initialization', { progressId }));
    const { socket, snapshot } = await subscribed(progressId);
    expect(snapshot).toMatchObject({ status: 'starting', step: 'initialization', progressId });
    const seen = recordEvents(socket, PROGRESS_EVENTS);

    expect(await legacy.next(isStep('processing_requirements'), 3000)).toBe(exampleWire('processing_requirements', { progressId }));
    const final = await legacy.next(isStep('completed'), 3000);
    const projectId = (JSON.parse(final) as { data: { project_id: string } }).data.project_id;
    expect(final).toBe(exampleWire('completed', { progressId, projectId }));

    await until(() => seen.length === 5, 3000, 'five Socket.IO progress events');
    expect(seen.map((e) => [e.event, e.payload.step, e.payload.status, e.payload.seq])).toEqual([
      ['project_progress', 'database_setup', 'starting', 2],
      ['project_progress', 'processing_requirements', 'starting', 3],
      ['project_progress', 'ai_generation', 'starting', 4],
      ['project_progress', 'finalizing', 'starting', 5],
      ['project_progress', 'completed', 'starting', 6],
    ]);
    // The same states, in the same order, on both transports.
    const legacyData = legacy.frames.filter((f) => f.startsWith('{"type":"project_progress"')).slice(1).map((f) => (JSON.parse(f) as { data: unknown }).data);
    expect(legacyData).toEqual(seen.map(({ payload: { seq: _seq, ...data } }) => data));

    // The creation is tracked at 100 %: a late connection gets the final state as its snapshot.
    const late = await server.legacy(`/api/project-creation-progress/${progressId}`);
    expect(await late.nextEvent()).toBe(final);
  });

  it('switches the frame type when the producer API completes or fails a creation', async () => {
    const id = 'a'.repeat(32);
    const started = await api(server.url, 'POST', '/api/producer/project-creation', { progressId: id, title: 'Acme Portal', github_repo: 'https://github.com/acme/portal' });
    expect(started).toMatchObject({ status: 201, body: { progressId: id, status: 'starting', github_repo: 'https://github.com/acme/portal' } });
    const legacy = await server.legacy(`/api/project-creation-progress/${id}`);
    await legacy.nextEvent();
    const { socket } = await subscribed(id);
    const seen = recordEvents(socket, PROGRESS_EVENTS);

    await api(server.url, 'POST', `/api/producer/project-creation/${id}/progress`, { percentage: 40, step: 'database_setup', log: 'db', extra_kwarg: 1 });
    const done = await api(server.url, 'POST', `/api/producer/project-creation/${id}/complete`, {});
    expect(done.body).toMatchObject({ status: 'completed', step: 'finished', duration: '0:00:00' });

    const progress = await legacy.nextEvent();
    expect(progress).toBe(`{"type":"project_progress","data":{"status":"starting","percentage":40,"start_time":"${pythonLocalIso(NOW)}","logs":["\u{1F680} Starting project creation...","db"],"step":"database_setup","title":"Acme Portal","description":"","github_repo":"https://github.com/acme/portal","log":"db","extra_kwarg":1,"progressId":"${id}"}}`);
    expect(await legacy.nextEvent()).toBe(`{"type":"project_completed","data":{"status":"completed","percentage":100,"start_time":"${pythonLocalIso(NOW)}","logs":["\u{1F680} Starting project creation...","db"],"step":"finished","title":"Acme Portal","description":"","github_repo":"https://github.com/acme/portal","log":"\u2705 Project creation completed successfully!","extra_kwarg":1,"duration":"0:00:00","progressId":"${id}"}}`);
    await until(() => seen.length === 2, 3000, 'two Socket.IO events');
    expect(seen.map((e) => [e.event, e.payload.seq])).toEqual([['project_progress', 2], ['project_completed', 3]]);

    const other = 'b'.repeat(32);
    await api(server.url, 'POST', '/api/producer/project-creation', { progressId: other, title: 'Broken' });
    const failing = await server.legacy(`/api/project-creation-progress/${other}`);
    await failing.nextEvent();
    await api(server.url, 'POST', `/api/producer/project-creation/${other}/error`, { error: 'database down' });
    expect(await failing.nextEvent()).toBe(`{"type":"project_error","data":{"status":"error","percentage":0,"start_time":"${pythonLocalIso(NOW)}","logs":["\u{1F680} Starting project creation..."],"step":"failed","title":"Broken","description":"","github_repo":null,"error":"database down","log":"\u274C Error: database down","progressId":"${other}"}}`);
  });

  it('rejects bad bodies with 400, unknown creations with 404 and bad subscriptions with an ack error', async () => {
    expect(await api(server.url, 'POST', '/api/projects', { description: 'no title' })).toMatchObject({ status: 400, body: { error: { code: 'INVALID_PAYLOAD' } } });
    expect(await api(server.url, 'POST', '/api/producer/project-creation', { title: '' })).toMatchObject({ status: 400, body: { error: { code: 'INVALID_PAYLOAD' } } });
    expect(await api(server.url, 'POST', `/api/producer/project-creation/${EXAMPLE_ID}/progress`, { percentage: 5 })).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    expect(await api(server.url, 'GET', `/api/producer/project-creation/${EXAMPLE_ID}`)).toMatchObject({ status: 404 });
    await api(server.url, 'POST', '/api/producer/project-creation', { progressId: EXAMPLE_ID, title: 'Acme Portal' });
    expect(await api(server.url, 'POST', `/api/producer/project-creation/${EXAMPLE_ID}/progress`, { percentage: 500 })).toMatchObject({ status: 400 });
    expect(await api(server.url, 'POST', `/api/producer/project-creation/${EXAMPLE_ID}/progress`, { status: 'waiting' })).toMatchObject({ status: 400 });
    expect(await api(server.url, 'POST', `/api/producer/project-creation/${EXAMPLE_ID}/error`, {})).toMatchObject({ status: 400 });
    expect(await api(server.url, 'POST', '/api/producer/project-creation', { progressId: EXAMPLE_ID, title: 'Again' })).toMatchObject({ status: 400 });

    const socket = await server.sio('/project');
    expect(await socket.emitWithAck('subscribe_progress', {})).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
    expect(await socket.emitWithAck('subscribe_progress', { progress_id: EXAMPLE_ID, extra: 1 })).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
    expect(await socket.emitWithAck('nope', {})).toMatchObject({ ok: false, error: { code: 'UNKNOWN_EVENT' } });
    expect(await socket.emitWithAck('subscribe_progress', { progress_id: EXAMPLE_ID })).toMatchObject({ ok: true, seq: 1 });
    expect(await socket.emitWithAck('unsubscribe_progress', { progress_id: EXAMPLE_ID })).toEqual({ ok: true });
  });
});
