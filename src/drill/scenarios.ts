/**
 * What the drill does on each service: the entity it creates through the
 * producer API (its own, with fresh ids, so a drill never writes into a real
 * user's crawl or chat), how an unmodified legacy client reaches it, what an
 * SDK client joins, and how one recognisable event (`m<n>`) is published and
 * found again in a legacy frame or a Socket.IO payload.
 *
 * Sequence checking on the legacy wire uses the frames' own content: every
 * event the drill publishes carries its number (`m<n>`) in a field the legacy
 * frame shows (a log line, a message, a task title, an output line, a file
 * name), so an unmodified client — no `switchyard_seq`, no query parameter
 * at all beyond what the legacy frontend sent — can tell a gap, a repeat and
 * an inversion. No service needs the opt-in `switchyard_seq=1` for this.
 */
import { randomUUID } from 'node:crypto';
import type { ServiceId } from '../registry/contracts.js';

export interface ProducerCall {
  method: 'POST' | 'PUT';
  path: string;
  body: Record<string, unknown>;
}

export interface Scenario {
  service: ServiceId;
  /** Legacy path an unmodified client opens (with the query the legacy frontend sent, if any). */
  legacyPath: string;
  /** SDK connection parameters (the join payload; project-tasks adds its legacy `session_id`). */
  params: Record<string, string>;
  /** Socket.IO event (SDK event name) that carries the drill's marker. */
  event: string;
  /** Producer call that creates the entity, if the service has one. */
  setup?: ProducerCall;
  /** Producer call that publishes the event carrying `marker`. */
  produce(marker: string): ProducerCall;
  /** The markers a legacy frame or an SDK payload stands for. */
  pick(value: Record<string, unknown>): string[];
  /** agent-chat: where the stored messages are read back. */
  chatSession?: string;
}

const MARKER = /^m\d+$/;

/** Every `m<n>` string in a value, in document order. */
export function markers(value: unknown): string[] {
  const found: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === 'string' && MARKER.test(v)) found.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(value);
  return found;
}

/** Services that re-send accumulated state (crawl and creation logs): only the latest `log` is the event. */
const latestLog = (value: Record<string, unknown>): string[] => {
  const data = (value.data ?? value) as Record<string, unknown>;
  return typeof data.log === 'string' && MARKER.test(data.log) ? [data.log] : [];
};

/** One scenario per service, with ids fresh for this drill run. */
export function scenarioFor(service: ServiceId, run: string = randomUUID()): Scenario {
  const id = (n: number): string => `${run.slice(0, 8)}-d${n}00-4000-8000-${run.slice(-12)}`;
  switch (service) {
    case 'crawl-progress': {
      const progressId = id(1);
      return {
        service, legacyPath: `/api/crawl-progress/${progressId}`, params: { progress_id: progressId }, event: 'progress_update',
        setup: { method: 'POST', path: '/api/producer/crawl-progress', body: { progressId, currentUrl: 'https://switchyard.drill/' } },
        produce: (marker) => ({ method: 'POST', path: `/api/producer/crawl-progress/${progressId}/progress`, body: { status: 'crawling', percentage: 1, log: marker } }),
        pick: latestLog,
      };
    }
    case 'agent-chat': {
      const session = id(2);
      return {
        service, legacyPath: `/api/agent-chat/sessions/${session}/ws`, params: { session_id: session }, event: 'new_message', chatSession: session,
        setup: { method: 'POST', path: '/api/producer/agent-chat/sessions', body: { session_id: session, agent_type: 'docs' } },
        produce: (marker) => ({ method: 'POST', path: `/api/producer/agent-chat/sessions/${session}/messages`, body: { content: marker } }),
        pick: markers,
      };
    }
    case 'project-tasks': {
      const project = id(3);
      return {
        service, legacyPath: `/api/projects/${project}/tasks/ws?session_id=drill-${run.slice(0, 8)}`, params: { project_id: project, session_id: `drill-sdk-${run.slice(0, 8)}` },
        event: 'task_created',
        produce: (marker) => ({ method: 'POST', path: `/api/producer/project-tasks/${project}/tasks`, body: { title: marker } }),
        pick: markers,
      };
    }
    case 'mcp-logs':
      return {
        service, legacyPath: '/api/mcp/logs/stream', params: {}, event: 'log',
        produce: (marker) => ({ method: 'POST', path: '/api/producer/mcp-logs', body: { level: 'INFO', message: marker } }),
        pick: markers,
      };
    case 'test-execution': {
      const execution = id(5);
      return {
        service, legacyPath: `/api/tests/stream/${execution}`, params: { execution_id: execution }, event: 'test_output',
        setup: { method: 'POST', path: '/api/producer/test-execution/start', body: { execution_id: execution } },
        produce: (marker) => ({ method: 'POST', path: `/api/producer/test-execution/${execution}/output`, body: { lines: [marker] } }),
        // A join replays the buffered output (`replay: true`): snapshot, not live.
        pick: (value) => (value.replay === true ? [] : markers(value)),
      };
    }
    case 'project-creation': {
      const progressId = id(6).replace(/-/g, '');
      return {
        service, legacyPath: `/api/project-creation-progress/${progressId}`, params: { progress_id: progressId }, event: 'project_progress',
        setup: { method: 'POST', path: '/api/producer/project-creation', body: { progressId, title: 'Switchyard drill' } },
        produce: (marker) => ({ method: 'POST', path: `/api/producer/project-creation/${progressId}/progress`, body: { percentage: 10, log: marker } }),
        pick: latestLog,
      };
    }
    case 'knowledge-items':
      return {
        service, legacyPath: '/api/knowledge-items/stream', params: {}, event: 'upload_completed',
        produce: (marker) => ({ method: 'POST', path: '/api/producer/knowledge-items/upload-completed', body: { filename: marker, progressId: `drill-${run.slice(0, 8)}`, sourceId: 'switchyard-drill' } }),
        pick: markers,
      };
  }
}
