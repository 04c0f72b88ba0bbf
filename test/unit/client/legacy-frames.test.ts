import { describe, expect, it } from 'vitest';
import { readLegacyFrame, type LegacyFrame } from '../../../src/client/legacy-frames.js';
import { bundledPlan } from '../../../src/client/plans.js';
import type { ServiceId } from '../../../src/registry/contracts.js';

interface Row {
  name: string;
  service: ServiceId;
  params?: Record<string, string>;
  frame: string;
  expected: Exclude<LegacyFrame, { kind: 'invalid' }> | { invalid: string };
}

const rows: Row[] = [
  {
    name: 'event frame with the opt-in seq',
    service: 'crawl-progress', params: { progress_id: 'p1' },
    frame: '{"type":"crawl_progress","data":{"progressId":"p1","status":"crawling","percentage":5,"logs":[]},"seq":7}',
    expected: { kind: 'events', seq: 7, events: [{ event: 'progress_update', payload: { progressId: 'p1', status: 'crawling', percentage: 5, logs: [] } }] },
  },
  {
    name: 'opening frame without seq',
    service: 'crawl-progress', params: { progress_id: 'p1' },
    frame: '{"type":"crawl_completed","data":{"progressId":"p1","status":"completed","percentage":100,"logs":[]}}',
    expected: { kind: 'events', seq: undefined, events: [{ event: 'progress_update', payload: { progressId: 'p1', status: 'completed', percentage: 100, logs: [] } }] },
  },
  { name: 'heartbeat', service: 'crawl-progress', frame: '{"type":"heartbeat"}', expected: { kind: 'control' } },
  { name: 'pong', service: 'crawl-progress', frame: '{"type":"pong"}', expected: { kind: 'control' } },
  {
    name: 'join ack frame (chat connection_confirmed)',
    service: 'agent-chat', params: { session_id: 's1' },
    frame: '{"type":"connection_confirmed","data":{"session_id":"s1","status":"connected"}}',
    expected: { kind: 'control' },
  },
  {
    name: 'connection fields come from the URL params (chat typing)',
    service: 'agent-chat', params: { session_id: 's1' },
    frame: '{"type":"typing","data":{"is_typing":true},"seq":3}',
    expected: { kind: 'events', seq: 3, events: [{ event: 'typing', payload: { session_id: 's1', is_typing: true } }] },
  },
  {
    name: 'bare MCP log entry with seq',
    service: 'mcp-logs',
    frame: '{"timestamp":"2025-06-19T12:00:00Z","level":"INFO","message":"hi","seq":9}',
    expected: { kind: 'events', seq: 9, events: [{ event: 'log', payload: { timestamp: '2025-06-19T12:00:00Z', level: 'INFO', message: 'hi' } }] },
  },
  { name: 'MCP heartbeat {"type":"ping"}', service: 'mcp-logs', frame: '{"type":"ping"}', expected: { kind: 'control' } },
  {
    name: "test-execution's own error frame is an event, not a refusal",
    service: 'test-execution', params: { execution_id: 'e1' },
    frame: '{"type":"error","message":"boom","timestamp":"2025-06-19T12:00:00","seq":4}',
    expected: { kind: 'events', seq: 4, events: [{ event: 'test_error', payload: { execution_id: 'e1', message: 'boom', timestamp: '2025-06-19T12:00:00' } }] },
  },
  {
    name: 'resume marker',
    service: 'crawl-progress', frame: '{"type":"switchyard_resume","resumed":false,"seq":12,"epoch":"3f2a.7"}',
    expected: { kind: 'resume', resumed: false, seq: 12, epoch: '3f2a.7' },
  },
  {
    name: 'event with no legacy frame',
    service: 'knowledge-items', frame: '{"type":"switchyard_event","event":"knowledge_items_update","payload":{"items":[],"total":0},"seq":3}',
    expected: { kind: 'events', seq: 3, events: [{ event: 'knowledge_items_update', payload: { items: [], total: 0 } }] },
  },
  {
    name: 'stage notice',
    service: 'crawl-progress', frame: '{"type":"switchyard_stage","service":"crawl-progress","stage":"socketio","namespace":"/crawl","path":"/socket.io/"}',
    expected: { kind: 'stage', stage: 'socketio', namespace: '/crawl', path: '/socket.io/' },
  },
  {
    name: 'retired endpoint hint',
    service: 'test-execution', params: { execution_id: 'e1' },
    frame: '{"type":"error","code":"SERVICE_RETIRED","message":"test-execution moved to Socket.IO","namespace":"/tests","path":"/socket.io/"}',
    expected: { kind: 'error', code: 'SERVICE_RETIRED', message: 'test-execution moved to Socket.IO', namespace: '/tests', path: '/socket.io/' },
  },
  { name: 'not JSON', service: 'crawl-progress', frame: 'hello', expected: { invalid: 'INVALID_PAYLOAD' } },
  { name: 'unknown type', service: 'crawl-progress', frame: '{"type":"nope","seq":1}', expected: { invalid: 'UNKNOWN_EVENT' } },
];

describe('legacy frames → SDK events', () => {
  it.each(rows)('$service: $name', ({ service, params, frame, expected }) => {
    const read = readLegacyFrame(bundledPlan(service), frame, params ?? {});
    if ('invalid' in expected) {
      expect(read.kind === 'invalid' && read.error.code).toBe(expected.invalid);
    } else {
      expect(read).toEqual(expected);
    }
  });
});
