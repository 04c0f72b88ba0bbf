import { pino } from 'pino';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadPlans } from '../../../src/adapter/plan-loader.js';
import type { ServicePlan } from '../../../src/adapter/plan-schema.js';
import { postgresIso, pythonLocalIso } from '../../../src/domain/clock.js';
import type { RoomEvent } from '../../../src/domain/event-log.js';
import { MemoryEventLog } from '../../../src/domain/memory-event-log.js';
import { RoomHub } from '../../../src/domain/room-hub.js';
import { DEMO_PROJECT_ID, tasksDemo } from '../../../src/services/project-tasks/demo.js';
import { ProjectTasksDomain, type ProjectTasksOptions } from '../../../src/services/project-tasks/domain.js';
import { TASK_COLUMNS } from '../../../src/services/project-tasks/events.js';

const NOW = Date.UTC(2025, 5, 19, 18, 5, 0, 123);
let plan: ServicePlan;
beforeAll(async () => {
  plan = (await loadPlans(undefined, ['project-tasks'])).get('project-tasks')!;
});

function setup(options: ProjectTasksOptions = {}): { domain: ProjectTasksDomain; published: RoomEvent[] } {
  const hub = new RoomHub(new MemoryEventLog());
  const published: RoomEvent[] = [];
  hub.onBroadcast((_service, event) => published.push(event));
  return { domain: new ProjectTasksDomain({ hub, clock: () => NOW, logger: pino({ level: 'silent' }), plan }, options), published };
}

describe('ProjectTasksDomain', () => {
  it('builds rows in the table column order with the database defaults', () => {
    const { domain, published } = setup();
    const task = domain.create('p', { id: 't', title: 'Write tests' });
    expect(Object.keys(task)).toEqual([...TASK_COLUMNS]);
    expect(task).toMatchObject({ parent_task_id: null, description: '', status: 'todo', assignee: 'User', task_order: 0, sources: [], archived: false, created_at: postgresIso(NOW) });
    expect(published.map((e) => [e.room, e.seq, e.event])).toEqual([['tasks_p', 1, 'task_created']]);
    expect(Object.keys(published[0]!.payload)).toEqual(['project_id', 'task', 'timestamp']);
    expect(published[0]!.payload.timestamp).toBe(pythonLocalIso(NOW));
  });

  it('lists non-archived tasks by task_order, insertion order breaking ties', () => {
    const { domain } = setup();
    domain.create('p', { id: 'b', title: 'b', task_order: 1 });
    domain.create('p', { id: 'c', title: 'c', task_order: 1 });
    domain.create('p', { id: 'a', title: 'a', task_order: 0 });
    domain.create('p', { id: 'z', title: 'z', task_order: -1 });
    domain.archive('z');
    expect(domain.list('p').map((t) => t.id)).toEqual(['a', 'b', 'c']);
    expect(domain.list('p', { includeArchived: true }).map((t) => t.id)).toEqual(['z', 'a', 'b', 'c']);
    expect(domain.list('other')).toEqual([]);
  });

  it('archives a task with naive local times, then its subtasks as one batch', () => {
    const { domain, published } = setup();
    domain.create('p', { id: 'parent', title: 'parent' });
    domain.create('p', { id: 'child', title: 'child', parent_task_id: 'parent' });
    expect(domain.archive('parent', 'mcp')).toMatchObject({ task: { archived: true, archived_by: 'mcp', archived_at: pythonLocalIso(NOW), updated_at: pythonLocalIso(NOW) }, subtasks_archived: 1 });
    expect(published.map((e) => e.event)).toEqual(['task_created', 'task_created', 'task_archived', 'tasks_updated']);
    expect(published[3]!.payload).toMatchObject({ project_id: 'p', updated_tasks: [{ id: 'child', archived: true }] });
    expect(() => domain.archive('parent')).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
  });

  it('applies a batch all or nothing', () => {
    const { domain, published } = setup();
    domain.create('p', { id: 't', title: 't' });
    domain.create('q', { id: 'u', title: 'u' });
    expect(() => domain.updateMany('p', [{ id: 't', status: 'done' }, { id: 'u', status: 'done' }])).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
    expect(domain.get('t')!.status).toBe('todo');
    expect(domain.updateMany('p', [{ id: 't', status: 'doing', task_order: 4 }])).toMatchObject([{ id: 't', status: 'doing', task_order: 4 }]);
    expect(published.at(-1)!.event).toBe('tasks_updated');
  });

  it('deletes for good and keeps published payloads apart from later changes', () => {
    const { domain, published } = setup({ maxTasksPerProject: 1 });
    domain.create('p', { id: 't', title: 'before' });
    expect(() => domain.create('p', { title: 'one too many' })).toThrow(expect.objectContaining({ code: 'CAPACITY_EXCEEDED' }));
    domain.update('t', { title: 'after' });
    expect((published[0]!.payload.task as { title: string }).title).toBe('before');
    expect(domain.delete('t')).toMatchObject({ id: 't', title: 'after' });
    expect(domain.get('t')).toBeUndefined();
    expect(published.map((e) => e.event)).toEqual(['task_created', 'task_updated', 'task_deleted']);
  });
});

describe('tasksDemo', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('moves each task todo → doing → review → done, then starts over within bounds', () => {
    vi.useFakeTimers();
    const { domain, published } = setup();
    const stop = tasksDemo(domain, 10);
    const first = domain.list(DEMO_PROJECT_ID)[0]!.id;
    vi.advanceTimersByTime(30);
    expect(domain.get(first)!.status).toBe('done');
    expect(published.slice(4).map((e) => e.event)).toEqual(['task_updated', 'tasks_updated', 'task_updated']);
    vi.advanceTimersByTime(10 * 13 * 3);
    expect(domain.list(DEMO_PROJECT_ID, { includeArchived: true }).length).toBeLessThanOrEqual(8);
    stop();
  });
});
