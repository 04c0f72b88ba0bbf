import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { api, nextEvent, recordEvents, startServer, until, type TestServer } from '../../support/harness.js';

const PATH = '/api/projects/stream';
const PROJECT_ID = 'b7e4c1a2-3d5f-4e6a-8b9c-0d1e2f3a4b5c';
// The example's created_at, "2025-06-19T18:20:00.41+00:00", as a pinned clock.
const NOW = Date.UTC(2025, 5, 19, 18, 20, 0, 410);
const EMPTY = '{"type":"projects_update","data":{"projects":[],"total":0}}';

const corpus = JSON.parse(readFileSync(fileURLToPath(new URL('../../fixtures/protocol/legacy-frames.json', import.meta.url)), 'utf8')) as Record<string, { serverToClient: Array<{ type: string; wire?: string }> }>;
const EXAMPLE = corpus['_extra_projects-stream']!.serverToClient.find((f) => f.type === 'projects_update')!.wire!;

/**
 * The legacy-only project list (legacy.md §9). It has no plan: whatever mode
 * the owner's legacy endpoint is served in, this one is always served by its
 * hand-written endpoint, so both modes must give the same wire.
 */
describe.each(['legacy', 'adapter'] as const)('the project list stream while project-creation is served in %s mode', (mode) => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startServer({
      services: ['project-creation'],
      heartbeatIntervals: { 'project-creation': 60_000, 'projects-list': 100 },
      clock: () => NOW,
      legacyMode: () => mode,
    });
  });
  afterEach(async () => {
    await server.close();
  });

  it('sends the list on connect, a heartbeat every interval, and never answers the client', async () => {
    const legacy = await server.legacy(PATH);
    expect(await legacy.nextEvent()).toBe(EMPTY);
    legacy.send('ping');
    expect(await legacy.next((f) => f.includes('heartbeat'), 1000)).toBe('{"type":"heartbeat"}');
    expect(await legacy.next((f) => f.includes('heartbeat'), 1000)).toBe('{"type":"heartbeat"}');
    expect(legacy.frames.filter((f) => f !== '{"type":"heartbeat"}')).toEqual([EMPTY]);
    // Not among the sessions stages switch: a legacy-only endpoint has no other side.
    expect([...server.sy.legacySessions()]).toEqual([]);
  });

  it('re-sends the whole list (without description) after every create, update and delete, on both transports', async () => {
    const legacy = await server.legacy(PATH);
    await legacy.nextEvent();
    const socket = await server.sio('/project');
    const snapshot = nextEvent(socket, 'projects_update');
    expect(await socket.emitWithAck('subscribe_projects')).toEqual({ ok: true, room: 'project_list', seq: 0 });
    expect(await snapshot).toEqual({ projects: [], seq: 0 });
    const seen = recordEvents(socket, ['projects_update']);

    const created = await api(server.url, 'POST', '/api/producer/projects', { id: PROJECT_ID, title: 'Acme Portal', description: 'Customer portal' });
    expect(created).toMatchObject({ status: 201, body: { id: PROJECT_ID, description: 'Customer portal', color: 'blue', icon: 'Briefcase' } });
    expect(await legacy.nextEvent()).toBe(EXAMPLE);

    const second = await api(server.url, 'POST', '/api/producer/projects', { id: 'p2', title: 'Second', pinned: true });
    expect(second.status).toBe(201);
    const afterSecond = JSON.parse(await legacy.nextEvent()) as { data: { projects: Array<{ id: string; pinned: boolean }>; total: number } };
    expect(afterSecond.data.total).toBe(2);
    expect(afterSecond.data.projects.map((p) => p.id)).toEqual(['p2', PROJECT_ID]);

    // Pinning one unpins the others, as the legacy API did.
    const updated = await api(server.url, 'PUT', `/api/producer/projects/${PROJECT_ID}`, { pinned: true, title: 'Acme Portal 2' });
    expect(updated).toMatchObject({ status: 200, body: { id: PROJECT_ID, title: 'Acme Portal 2', pinned: true } });
    const afterUpdate = JSON.parse(await legacy.nextEvent()) as typeof afterSecond;
    expect(afterUpdate.data.projects.map((p) => [p.id, p.pinned])).toEqual([['p2', false], [PROJECT_ID, true]]);

    expect(await api(server.url, 'DELETE', '/api/producer/projects/p2')).toEqual({ status: 200, body: { id: 'p2', deleted: true } });
    expect(await legacy.nextEvent()).toBe(EXAMPLE.replace('"title":"Acme Portal"', '"title":"Acme Portal 2"').replace('"pinned":false', '"pinned":true'));

    await until(() => seen.length === 4, 3000, 'four projects_update events');
    expect(seen.map((e) => e.payload.seq)).toEqual([1, 2, 3, 4]);
    const last = seen[3]!.payload as { projects: Array<Record<string, unknown>> };
    expect(last.projects).toEqual([expect.objectContaining({ id: PROJECT_ID, description: 'Customer portal', title: 'Acme Portal 2' })]);
    expect(await api(server.url, 'GET', '/api/projects')).toMatchObject({ status: 200, body: [{ id: PROJECT_ID }] });
  });

  it('adds the project the legacy creation flow makes', async () => {
    const legacy = await server.legacy(PATH);
    await legacy.nextEvent();
    await api(server.url, 'POST', '/api/projects', { title: 'Acme Portal', description: 'Customer portal' });
    const frame = JSON.parse(await legacy.nextEvent(4000)) as { data: { projects: Array<Record<string, unknown>>; total: number } };
    expect(frame.data.total).toBe(1);
    expect(Object.keys(frame.data.projects[0]!)).toEqual(['id', 'title', 'github_repo', 'created_at', 'updated_at', 'prd', 'docs', 'features', 'data', 'technical_sources', 'business_sources', 'pinned']);
  });

  it('rejects bad bodies with 400 and unknown projects with 404', async () => {
    expect(await api(server.url, 'POST', '/api/producer/projects', { description: 'no title' })).toMatchObject({ status: 400, body: { error: { code: 'INVALID_PAYLOAD' } } });
    expect(await api(server.url, 'PUT', `/api/producer/projects/${PROJECT_ID}`, { title: 'x' })).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    expect(await api(server.url, 'DELETE', `/api/producer/projects/${PROJECT_ID}`)).toMatchObject({ status: 404 });
    await api(server.url, 'POST', '/api/producer/projects', { id: PROJECT_ID, title: 'Acme Portal' });
    expect(await api(server.url, 'PUT', `/api/producer/projects/${PROJECT_ID}`, { pinned: 'yes' })).toMatchObject({ status: 400 });
    expect(await api(server.url, 'POST', '/api/producer/projects', { id: PROJECT_ID, title: 'Again' })).toMatchObject({ status: 400 });
    const socket = await server.sio('/project');
    expect(await socket.emitWithAck('subscribe_projects', { what: 1 })).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
    expect(await socket.emitWithAck('unsubscribe_projects')).toEqual({ ok: true });
  });
});
