import { pino } from 'pino';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { projectListItem } from '../../../legacy/projects-list.js';
import { loadPlans } from '../../../src/adapter/plan-loader.js';
import type { ServicePlan } from '../../../src/adapter/plan-schema.js';
import { postgresIso, pythonLocalIso } from '../../../src/domain/clock.js';
import type { RoomEvent } from '../../../src/domain/event-log.js';
import { MemoryEventLog } from '../../../src/domain/memory-event-log.js';
import { RoomHub } from '../../../src/domain/room-hub.js';
import { ProjectCreationDomain, pythonTimedelta, type ProjectCreationOptions } from '../../../src/services/project-creation/domain.js';
import { ProjectStore } from '../../../src/services/project-creation/projects.js';

const START = Date.UTC(2025, 5, 19, 18, 20, 0, 250);
let plan: ServicePlan;
beforeAll(async () => {
  plan = (await loadPlans(undefined, ['project-creation'])).get('project-creation')!;
});
afterEach(() => {
  vi.useRealTimers();
});

function setup(options: ProjectCreationOptions = {}): { domain: ProjectCreationDomain; projects: ProjectStore; hub: RoomHub; published: RoomEvent[]; clock: { now: number } } {
  const hub = new RoomHub(new MemoryEventLog());
  const published: RoomEvent[] = [];
  hub.onBroadcast((_service, event) => published.push(event));
  const clock = { now: START };
  const ctx = { hub, clock: () => clock.now, logger: pino({ level: 'silent' }), plan };
  return { domain: new ProjectCreationDomain(ctx, options), projects: new ProjectStore(ctx), hub, published, clock };
}

describe('pythonTimedelta', () => {
  it.each([
    [0, '0:00:00'],
    [12_345.678, '0:00:12.345678'],
    [3_723_000, '1:02:03'],
    [86_400_000 + 61_500, '1 day, 0:01:01.500000'],
    [3 * 86_400_000, '3 days, 0:00:00'],
  ])('%d ms → %s', (ms, expected) => {
    expect(pythonTimedelta(ms)).toBe(expected);
  });
});

describe('ProjectCreationDomain', () => {
  it('keeps the legacy key order: tracker keys, title fields, then keys as updates add them, progressId last', () => {
    const { domain, published } = setup();
    const started = domain.start({ progressId: 'p1', title: 'Acme', description: null });
    expect(Object.keys(started)).toEqual(['status', 'percentage', 'start_time', 'logs', 'step', 'title', 'description', 'github_repo', 'progressId']);
    expect(started).toMatchObject({ status: 'starting', percentage: 0, start_time: pythonLocalIso(START), step: 'initialization', description: '', github_repo: null });
    domain.update('p1', { percentage: 30, step: 'database_setup', log: 'one', custom: true });
    const last = domain.update('p1', { project_id: 'x', status: 'starting', log: 'two', progressId: 'hijack', logs: [], start_time: 'no' });
    expect(Object.keys(last)).toEqual(['status', 'percentage', 'start_time', 'logs', 'step', 'title', 'description', 'github_repo', 'log', 'custom', 'project_id', 'progressId']);
    expect(last).toMatchObject({ progressId: 'p1', logs: ['\u{1F680} Starting project creation...', 'one', 'two'], log: 'two', start_time: pythonLocalIso(START) });
    expect(published.map((e) => [e.room, e.event, e.seq])).toEqual([
      ['project_creation_p1', 'project_progress', 1],
      ['project_creation_p1', 'project_progress', 2],
      ['project_creation_p1', 'project_progress', 3],
    ]);
  });

  it('keeps only the last 50 log lines', () => {
    const { domain } = setup();
    domain.start({ progressId: 'p1', title: 'Acme' });
    for (let i = 0; i < 60; i++) domain.update('p1', { log: `line ${i}` });
    const { logs } = domain.get('p1')!;
    expect(logs).toHaveLength(50);
    expect([logs[0], logs.at(-1)]).toEqual(['line 10', 'line 59']);
  });

  it('publishes completion as project_completed with duration and forgets it after the retention delay', () => {
    vi.useFakeTimers();
    const { domain, published, hub, clock } = setup({ completedRetentionMs: 5000 });
    domain.start({ progressId: 'p1', title: 'Acme' });
    clock.now += 12_345;
    const done = domain.complete('p1', { project: { id: 'x' } });
    expect(done).toMatchObject({ status: 'completed', percentage: 100, step: 'finished', log: '\u2705 Project creation completed successfully!', duration: '0:00:12.345000' });
    expect(done.logs).toEqual(['\u{1F680} Starting project creation...']);
    // Python: completion_data ({project}) is updated with status…duration, then merged: new keys in that order.
    expect(Object.keys(done).slice(-4)).toEqual(['project', 'log', 'duration', 'progressId']);
    expect(published.at(-1)!.event).toBe('project_completed');
    vi.advanceTimersByTime(5000);
    expect(domain.get('p1')).toBeUndefined();
    expect(hub.head('project_creation_p1')).toBe(0);
  });

  it('publishes a failure as project_error, and any state with status error too', () => {
    const { domain, published } = setup();
    domain.start({ progressId: 'p1', title: 'Acme' });
    const failed = domain.fail('p1', 'boom');
    expect(failed).toMatchObject({ status: 'error', error: 'boom', log: '\u274C Error: boom', step: 'failed' });
    expect(published.at(-1)!.event).toBe('project_error');
    domain.update('p1', { status: 'starting' });
    expect(published.at(-1)!.event).toBe('project_progress');
    expect(() => domain.update('nope', {})).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
    expect(() => domain.start({ progressId: 'p1', title: 'again' })).toThrow(expect.objectContaining({ code: 'INVALID_PAYLOAD' }));
  });

  it('forgets a creation nobody updates after the idle retention (the legacy server never did)', () => {
    vi.useFakeTimers();
    const { domain } = setup({ idleRetentionMs: 1000 });
    domain.start({ progressId: 'p1', title: 'Acme' });
    vi.advanceTimersByTime(900);
    domain.update('p1', { percentage: 100, step: 'completed' });
    vi.advanceTimersByTime(900);
    expect(domain.get('p1')).toBeDefined();
    vi.advanceTimersByTime(100);
    expect(domain.get('p1')).toBeUndefined();
  });

  it('gives a 32-hex progress id by default', () => {
    const { domain } = setup();
    expect(domain.start({ title: 'Acme' }).progressId).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('ProjectStore', () => {
  it('keeps the table column order, lists newest first and publishes the list on every change', () => {
    const { projects, published } = setup();
    const first = projects.create({ id: 'a', title: 'A' });
    expect(Object.keys(first)).toEqual(['id', 'title', 'description', 'github_repo', 'created_at', 'updated_at', 'prd', 'docs', 'features', 'data', 'pinned', 'color', 'icon', 'technical_sources', 'business_sources']);
    expect(first).toMatchObject({ description: '', github_repo: null, created_at: postgresIso(START), pinned: false, color: 'blue', icon: 'Briefcase' });
    projects.create({ id: 'b', title: 'B', pinned: true });
    const updated = projects.update('a', { title: 'A2', description: null, pinned: true });
    expect(Object.keys(updated)).toEqual(Object.keys(first));
    expect(projects.list().map((p) => [p.id, p.pinned])).toEqual([['b', false], ['a', true]]);
    projects.remove('b');
    expect(published.map((e) => [e.room, e.event, (e.payload.projects as unknown[]).length])).toEqual([
      ['project_list', 'projects_update', 1],
      ['project_list', 'projects_update', 2],
      ['project_list', 'projects_update', 2],
      ['project_list', 'projects_update', 1],
    ]);
    expect(() => projects.remove('b')).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
  });

  it('turns a project into the legacy list item: no description, color or icon', () => {
    const { projects } = setup();
    const item = projectListItem(projects.create({ id: 'a', title: 'A', description: 'd' }));
    expect(Object.keys(item)).toEqual(['id', 'title', 'github_repo', 'created_at', 'updated_at', 'prd', 'docs', 'features', 'data', 'technical_sources', 'business_sources', 'pinned']);
  });
});
