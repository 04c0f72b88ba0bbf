/**
 * One driver per service for behaviour tests that run over all seven: how to
 * reach one entity on each transport, and how to make its producer publish a
 * recognisable event (`m<n>`) through the REST producer API. Services defined
 * under test/ bring their own (test/fixtures/services/); `HOSTED_DRIVERS` in
 * ./hosted.ts is both lists.
 */
import type { AnyContract } from '../../src/contract/define.js';
import type { HostedId } from '../../src/registry/contracts.js';
import { api } from './harness.js';

export interface ServiceDriver {
  service: HostedId;
  /** The contract an SDK client names (services hosted beside the registry's); default the id. */
  contract?: AnyContract;
  namespace: string;
  /** Legacy path of the entity. */
  legacyPath: string;
  /** The join event and payload a Socket.IO client sends. */
  join: [event: string, payload: Record<string, unknown>];
  /** Socket.IO event that carries the produced marker. */
  event: string;
  /** Create the entity (before any client connects). */
  setup(base: string): Promise<void>;
  /** Publish one event carrying `marker`. */
  produce(base: string, marker: string): Promise<void>;
  /**
   * The markers one frame or payload stands for. Default: every `m<n>` in it;
   * services that re-send accumulated state (logs) count only the latest.
   */
  pick?(value: Record<string, unknown>): string[];
  /** Legacy query parameters an SDK client of this entity adds to the join payload's (project-tasks' `session_id`). */
  extraParams?: Record<string, string>;
}

/** The latest `log` of an accumulated-state frame (`{data:{log}}`) or payload (`{log}`). */
const latestLog = (value: Record<string, unknown>): string[] => {
  const data = (value.data ?? value) as Record<string, unknown>;
  return typeof data.log === 'string' && /^m\d+$/.test(data.log) ? [data.log] : [];
};

const ok = async (request: Promise<{ status: number; body: unknown }>): Promise<void> => {
  const res = await request;
  if (res.status >= 300) throw new Error(`producer call failed: ${res.status} ${JSON.stringify(res.body)}`);
};

const CRAWL = 'd1000000-0000-4000-8000-000000000001';
const SESSION = 'd2000000-0000-4000-8000-000000000002';
const PROJECT = 'd3000000-0000-4000-8000-000000000003';
const EXECUTION = 'd5000000-0000-4000-8000-000000000005';
const CREATION = 'd6000000000040008000000000000006';

export const DRIVERS: readonly ServiceDriver[] = [
  {
    service: 'crawl-progress', namespace: '/crawl', legacyPath: `/api/crawl-progress/${CRAWL}`,
    join: ['join_crawl', { progress_id: CRAWL }], event: 'progress_update',
    setup: (base) => ok(api(base, 'POST', '/api/producer/crawl-progress', { progressId: CRAWL })),
    produce: (base, marker) => ok(api(base, 'POST', `/api/producer/crawl-progress/${CRAWL}/progress`, { status: 'crawling', percentage: 1, log: marker })),
    pick: latestLog,
  },
  {
    service: 'agent-chat', namespace: '/chat', legacyPath: `/api/agent-chat/sessions/${SESSION}/ws`,
    join: ['join_session', { session_id: SESSION }], event: 'new_message',
    setup: (base) => ok(api(base, 'POST', '/api/producer/agent-chat/sessions', { session_id: SESSION, agent_type: 'docs' })),
    produce: (base, marker) => ok(api(base, 'POST', `/api/producer/agent-chat/sessions/${SESSION}/messages`, { content: marker })),
  },
  {
    service: 'project-tasks', namespace: '/tasks', legacyPath: `/api/projects/${PROJECT}/tasks/ws?session_id=task-session-drill0001`,
    join: ['join_project', { project_id: PROJECT }], event: 'task_created', extraParams: { session_id: 'zl-task-session-1' },
    setup: async () => {},
    produce: (base, marker) => ok(api(base, 'POST', `/api/producer/project-tasks/${PROJECT}/tasks`, { title: marker })),
  },
  {
    service: 'mcp-logs', namespace: '/logs', legacyPath: '/api/mcp/logs/stream',
    join: ['subscribe_logs', {}], event: 'log',
    setup: async () => {},
    produce: (base, marker) => ok(api(base, 'POST', '/api/producer/mcp-logs', { level: 'INFO', message: marker })),
  },
  {
    service: 'test-execution', namespace: '/tests', legacyPath: `/api/tests/stream/${EXECUTION}`,
    join: ['join_execution', { execution_id: EXECUTION }], event: 'test_output',
    setup: (base) => ok(api(base, 'POST', '/api/producer/test-execution/start', { execution_id: EXECUTION })),
    produce: (base, marker) => ok(api(base, 'POST', `/api/producer/test-execution/${EXECUTION}/output`, { lines: [marker] })),
    // Joins replay the buffered output (`replay: true`): that is snapshot, not live.
    pick: (value) => (value.replay === true ? [] : markers(value)),
  },
  {
    service: 'project-creation', namespace: '/project', legacyPath: `/api/project-creation-progress/${CREATION}`,
    join: ['subscribe_progress', { progress_id: CREATION }], event: 'project_progress',
    setup: (base) => ok(api(base, 'POST', '/api/producer/project-creation', { progressId: CREATION, title: 'Drill' })),
    produce: (base, marker) => ok(api(base, 'POST', `/api/producer/project-creation/${CREATION}/progress`, { percentage: 10, log: marker })),
    pick: latestLog,
  },
  {
    service: 'knowledge-items', namespace: '/knowledge', legacyPath: '/api/knowledge-items/stream',
    join: ['subscribe_items', {}], event: 'upload_completed',
    setup: async () => {},
    produce: (base, marker) => ok(api(base, 'POST', '/api/producer/knowledge-items/upload-completed', { filename: marker, progressId: 'drill', sourceId: 'drill' })),
  },
];

/** The markers a driver sees in one frame or payload. */
export function pickMarkers(driver: ServiceDriver, value: Record<string, unknown>): string[] {
  return driver.pick ? driver.pick(value) : markers(value);
}

/** The `m<n>` markers in a frame or payload, in document order. */
export function markers(value: unknown): string[] {
  const found: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === 'string' && /^m\d+$/.test(v)) found.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(value);
  return found;
}
