import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { postgresIso, pythonLocalIso } from '../../../src/domain/clock.js';
import { TASK_COLUMNS, type TaskRow } from '../../../src/services/project-tasks/events.js';
import { overridableFlags } from '../../support/flags.js';
import { api, nextEvent, recordEvents, startServer, until, type TestServer } from '../../support/harness.js';

const PROJECT = 'b7e4c1a2-3d5f-4e6a-8b9c-0d1e2f3a4b5c';
const SESSION_A = 'task-session-k3j9x2m1q';
const SESSION_B = 'task-session-zz8y7x6w5';
const pathFor = (session?: string): string => `/api/projects/${PROJECT}/tasks/ws${session ? `?session_id=${session}` : ''}`;
const PRODUCER = `/api/producer/project-tasks/${PROJECT}`;
// A pinned clock makes every server-made timestamp predictable.
const NOW = Date.UTC(2025, 5, 19, 18, 5, 0, 123);
const LOCAL = pythonLocalIso(NOW);
const DB = postgresIso(NOW);
const UUID4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function row(id: string, title: string, changes: Partial<TaskRow> = {}): TaskRow {
  return {
    id, project_id: PROJECT, parent_task_id: null, title, description: '', status: 'todo', assignee: 'User', task_order: 0,
    feature: null, sources: [], code_examples: [], archived: false, archived_at: null, archived_by: null, created_at: DB, updated_at: DB,
    ...changes,
  };
}
const taskWire = (type: string, task: TaskRow, session: string): string =>
  `{"type":"${type}","data":${JSON.stringify(task)},"timestamp":"${LOCAL}","project_id":"${PROJECT}","session_id":"${session}"}`;
const openingWire = (session: string, tasks: TaskRow[]): string[] => [
  `{"type":"initial_tasks","data":{"project_id":"${PROJECT}","session_id":"${session}","tasks":${JSON.stringify(tasks)}}}`,
  `{"type":"connection_established","data":{"project_id":"${PROJECT}","session_id":"${session}","message":"Connected to task updates with session-based MCP change detection"},"timestamp":"${LOCAL}"}`,
];

describe.each(['legacy', 'adapter'] as const)('project-tasks with the legacy endpoint served in %s mode', (mode) => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startServer({ services: ['project-tasks'], heartbeatIntervals: { 'project-tasks': 100 }, clock: () => NOW, legacyMode: () => mode });
  });
  afterEach(async () => {
    await server.close();
  });

  it('opens with initial_tasks (non-archived, by task_order) and connection_established, exactly', async () => {
    const empty = await server.legacy(pathFor(SESSION_A));
    expect([await empty.nextEvent(), await empty.nextEvent()]).toEqual(openingWire(SESSION_A, []));

    await api(server.url, 'POST', `${PRODUCER}/tasks`, { id: 't-2', title: 'Second', task_order: 2 });
    await api(server.url, 'POST', `${PRODUCER}/tasks`, { id: 't-1', title: 'First', task_order: 1, assignee: 'Archon' });
    await api(server.url, 'POST', `${PRODUCER}/tasks`, { id: 't-0', title: 'Gone', task_order: 0 });
    await api(server.url, 'DELETE', `${PRODUCER}/tasks/t-0`);
    const legacy = await server.legacy(pathFor(SESSION_B));
    const expected = [row('t-1', 'First', { task_order: 1, assignee: 'Archon' }), row('t-2', 'Second', { task_order: 2 })];
    expect([await legacy.nextEvent(), await legacy.nextEvent()]).toEqual(openingWire(SESSION_B, expected));
    expect(Object.keys(expected[0]!)).toEqual([...TASK_COLUMNS]);
  });

  it('makes up a uuid4 session_id when the query has none, and uses it in every frame', async () => {
    const legacy = await server.legacy(pathFor());
    const first = JSON.parse(await legacy.nextEvent()) as { data: { session_id: string } };
    const session = first.data.session_id;
    expect(session).toMatch(UUID4);
    expect(await legacy.nextEvent()).toBe(openingWire(session, [])[1]);
    expect(await legacy.next((f) => f.includes('heartbeat'), 1000)).toBe(`{"type":"heartbeat","session_id":"${session}"}`);
  });

  it('stamps live task frames with each receiving session, in the same order as Socket.IO', async () => {
    const a = await server.legacy(pathFor(SESSION_A));
    const b = await server.legacy(pathFor(SESSION_B));
    await a.nextEvent(); await a.nextEvent(); await b.nextEvent(); await b.nextEvent();
    const socket = await server.sio('/tasks');
    const initial = nextEvent(socket, 'initial_tasks');
    const ack = await socket.emitWithAck('join_project', { project_id: PROJECT });
    expect(ack).toEqual({ ok: true, room: `tasks_${PROJECT}`, seq: 0, epoch: expect.any(String), project_id: PROJECT, timestamp: LOCAL });
    expect(await initial).toEqual({ project_id: PROJECT, tasks: [], seq: 0 });
    const seen = recordEvents(socket, ['task_created', 'task_updated', 'task_archived', 'task_deleted', 'tasks_updated']);

    const created = row('t-1', 'Implement login endpoint');
    expect(await api(server.url, 'POST', `${PRODUCER}/tasks`, { id: 't-1', title: 'Implement login endpoint' })).toEqual({ status: 201, body: created });
    const doing = { ...created, status: 'doing' as const };
    expect((await api(server.url, 'PUT', `${PRODUCER}/tasks/t-1`, { status: 'doing' })).body).toEqual(doing);
    const batch = await api(server.url, 'POST', `${PRODUCER}/tasks_updated`, { tasks: [{ id: 't-1', status: 'review', task_order: 3 }] });
    const review = { ...doing, status: 'review' as const, task_order: 3 };
    expect(batch.body).toEqual({ project_id: PROJECT, updated_tasks: [review] });
    const archived = { ...review, archived: true, archived_at: LOCAL, archived_by: 'api', updated_at: LOCAL };
    expect((await api(server.url, 'DELETE', `${PRODUCER}/tasks/t-1`)).body).toEqual({ task: archived, subtasks_archived: 0 });
    expect((await api(server.url, 'DELETE', `${PRODUCER}/tasks/t-1?hard=true`)).body).toEqual(archived);

    for (const [client, session] of [[a, SESSION_A], [b, SESSION_B]] as const) {
      const frames = [];
      for (let i = 0; i < 5; i++) frames.push(await client.nextEvent());
      expect(frames).toEqual([
        taskWire('task_created', created, session),
        taskWire('task_updated', doing, session),
        `{"type":"tasks_updated","data":{"project_id":"${PROJECT}","updated_tasks":[${JSON.stringify(review)}],"timestamp":"${LOCAL}"}}`,
        taskWire('task_archived', archived, session),
        taskWire('task_deleted', archived, session),
      ]);
    }
    await until(() => seen.length === 5, 3000, 'five Socket.IO events');
    expect(seen).toEqual([
      { event: 'task_created', payload: { project_id: PROJECT, task: created, timestamp: LOCAL, seq: 1 } },
      { event: 'task_updated', payload: { project_id: PROJECT, task: doing, timestamp: LOCAL, seq: 2 } },
      { event: 'tasks_updated', payload: { project_id: PROJECT, updated_tasks: [review], timestamp: LOCAL, seq: 3 } },
      { event: 'task_archived', payload: { project_id: PROJECT, task: archived, timestamp: LOCAL, seq: 4 } },
      { event: 'task_deleted', payload: { project_id: PROJECT, task: archived, timestamp: LOCAL, seq: 5 } },
    ]);
  });

  it('serves the legacy REST routes, archiving subtasks as one tasks_updated', async () => {
    const legacy = await server.legacy(pathFor(SESSION_A));
    await legacy.nextEvent(); await legacy.nextEvent();
    const created = await api(server.url, 'POST', '/api/tasks', { project_id: PROJECT, title: 'Parent', status: 'todo', ignored: true });
    expect(created).toMatchObject({ status: 200, body: { message: 'Task created successfully', task: { title: 'Parent', project_id: PROJECT } } });
    const parent = (created.body as { task: TaskRow }).task;
    const child = (await api(server.url, 'POST', '/api/tasks', { project_id: PROJECT, title: 'Child', parent_task_id: parent.id, task_order: 1 })).body as { task: TaskRow };
    const updated = await api(server.url, 'PUT', `/api/tasks/${parent.id}`, { title: 'Parent task', feature: 'auth' });
    expect(updated.body).toEqual({ message: 'Task updated successfully', task: { ...parent, title: 'Parent task', feature: 'auth' } });
    expect((await api(server.url, 'GET', `/api/projects/${PROJECT}/tasks`)).body).toEqual([{ ...parent, title: 'Parent task', feature: 'auth' }, child.task]);

    const removed = await api(server.url, 'DELETE', `/api/tasks/${parent.id}`);
    expect(removed.body).toMatchObject({ message: 'Task archived successfully', task: { id: parent.id, archived: true }, subtasks_archived: 1 });
    expect(await api(server.url, 'DELETE', `/api/tasks/${parent.id}`)).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    expect(await api(server.url, 'GET', `/api/tasks/${parent.id}`)).toMatchObject({ status: 404 });
    expect((await api(server.url, 'GET', `/api/projects/${PROJECT}/tasks`)).body).toEqual([]);
    expect((await api(server.url, 'GET', `/api/projects/${PROJECT}/tasks?include_archived=true`)).body).toHaveLength(2);

    const types = [];
    for (let i = 0; i < 5; i++) types.push((JSON.parse(await legacy.nextEvent()) as { type: string }).type);
    expect(types).toEqual(['task_created', 'task_created', 'task_updated', 'task_archived', 'tasks_updated']);
  });

  it('answers the raw text ping with a session pong and beats on its cadence', async () => {
    const legacy = await server.legacy(pathFor(SESSION_A));
    await legacy.nextEvent(); await legacy.nextEvent();
    legacy.send('{"type":"ping"}');
    legacy.send('ping');
    expect(await legacy.next((f) => f.includes('pong'))).toBe(`{"type":"pong","session_id":"${SESSION_A}"}`);
    expect(await legacy.next((f) => f.includes('heartbeat'), 1000)).toBe(`{"type":"heartbeat","session_id":"${SESSION_A}"}`);
    expect(await legacy.next((f) => f.includes('heartbeat'), 1000)).toBe(`{"type":"heartbeat","session_id":"${SESSION_A}"}`);
  });

  it('rejects bad bodies with 400 JSON, unknown tasks with 404, bad Socket.IO payloads with an ack error', async () => {
    expect(await api(server.url, 'POST', `${PRODUCER}/tasks`, { title: 'x', status: 'blocked' })).toMatchObject({ status: 400, body: { error: { code: 'INVALID_PAYLOAD' } } });
    expect(await api(server.url, 'POST', '/api/tasks', { title: 'no project' })).toMatchObject({ status: 400, body: { error: { code: 'INVALID_PAYLOAD' } } });
    expect(await api(server.url, 'POST', `${PRODUCER}/tasks_updated`, { tasks: [] })).toMatchObject({ status: 400, body: { error: { code: 'INVALID_PAYLOAD' } } });
    expect(await api(server.url, 'PUT', `${PRODUCER}/tasks/nope`, { status: 'done' })).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    expect(await api(server.url, 'PUT', '/api/tasks/nope', { status: 'done' })).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    await api(server.url, 'POST', '/api/producer/project-tasks/other/tasks', { id: 'elsewhere', title: 'x' });
    expect(await api(server.url, 'DELETE', `${PRODUCER}/tasks/elsewhere`)).toMatchObject({ status: 404 });
    expect(await api(server.url, 'POST', `${PRODUCER}/tasks_updated`, { tasks: [{ id: 'elsewhere', status: 'done' }] })).toMatchObject({ status: 404 });

    const socket = await server.sio('/tasks');
    expect(await socket.emitWithAck('join_project', { project: PROJECT })).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
    expect(await socket.emitWithAck('leave_project', {})).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
    expect(await socket.emitWithAck('join_project', { project_id: PROJECT })).toMatchObject({ ok: true });
    expect(await socket.emitWithAck('leave_project', { project_id: PROJECT })).toEqual({ ok: true });
  });
});

describe('project-tasks in the shadow stage', () => {
  it('finds the adapter producing exactly the legacy endpoint\'s per-session frames', async () => {
    const server = await startServer({ services: ['project-tasks'], flags: overridableFlags('shadow'), clock: () => NOW });
    try {
      await api(server.url, 'POST', `${PRODUCER}/tasks`, { id: 't-1', title: 'First' });
      const a = await server.legacy(pathFor(SESSION_A));
      const b = await server.legacy(pathFor(SESSION_B));
      await api(server.url, 'PUT', `${PRODUCER}/tasks/t-1`, { status: 'doing' });
      await api(server.url, 'POST', `${PRODUCER}/tasks_updated`, { tasks: [{ id: 't-1', status: 'review' }] });
      await api(server.url, 'DELETE', `${PRODUCER}/tasks/t-1`);
      for (const client of [a, b]) await client.next((f) => f.includes('task_archived'));
      const report = (): { matches: number; mismatches: number } => server.sy.stages!.shadow.report('project-tasks');
      await until(() => report().matches >= 2 + 2 * 3, 3000, 'shadow comparisons');
      expect(report()).toMatchObject({ mismatches: 0 });
    } finally {
      await server.close();
    }
  });
});
