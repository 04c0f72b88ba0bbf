import { pino } from 'pino';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mcpLogsLegacy } from '../../../legacy/mcp-logs.js';
import { loadPlans } from '../../../src/adapter/plan-loader.js';
import type { ServicePlan } from '../../../src/adapter/plan-schema.js';
import { pythonUtcIsoZ } from '../../../src/domain/clock.js';
import type { RoomEvent } from '../../../src/domain/event-log.js';
import { MemoryEventLog } from '../../../src/domain/memory-event-log.js';
import { RoomHub } from '../../../src/domain/room-hub.js';
import { McpLogsDomain } from '../../../src/services/mcp-logs/domain.js';
import { LOGS_ROOM } from '../../../src/services/mcp-logs/events.js';
import { mcpLogsOptionsFromEnv } from '../../../src/services/mcp-logs/options.js';

const NOW = Date.UTC(2025, 5, 19, 18, 31, 7, 412);

let plan: ServicePlan;
beforeAll(async () => {
  plan = (await loadPlans(undefined, ['mcp-logs'])).get('mcp-logs')!;
});

describe('McpLogsDomain', () => {
  let hub: RoomHub;
  let published: RoomEvent[];
  const make = (bufferSize = 1000, backlogSize = 100): McpLogsDomain =>
    new McpLogsDomain({ hub, clock: () => NOW, logger: pino({ level: 'silent' }), plan }, { bufferSize, backlogSize });

  beforeEach(() => {
    hub = new RoomHub(new MemoryEventLog());
    published = [];
    hub.onBroadcast((_service, event) => published.push(event));
  });

  it('publishes each entry as `log` in the legacy key order, with a UTC "Z" timestamp', () => {
    const entry = make().add('INFO', 'MCP server started successfully');
    expect(entry).toEqual({ timestamp: '2025-06-19T18:31:07.412000Z', level: 'INFO', message: 'MCP server started successfully', seq: 1 });
    expect(pythonUtcIsoZ(NOW)).toBe(entry.timestamp);
    expect(published.map((e) => [e.room, e.event, Object.keys(e.payload)])).toEqual([[LOGS_ROOM, 'log', ['timestamp', 'level', 'message']]]);
  });

  it('keeps a bounded ring: recent(limit) returns the newest, limit <= 0 returns all retained', () => {
    const domain = make(3);
    domain.addMany(['a', 'b', 'c', 'd', 'e'].map((message) => ({ level: 'DEBUG' as const, message })));
    expect(domain.size).toBe(3);
    expect(domain.recent(0).map((e) => e.message)).toEqual(['c', 'd', 'e']);
    expect(domain.recent(2).map((e) => e.message)).toEqual(['d', 'e']);
    expect(domain.recent(2)[0]).not.toHaveProperty('seq');
  });

  it('backlog: the last backlogSize entries, oldest first, each with its seq', () => {
    const domain = make(10, 2);
    expect(domain.backlog()).toEqual([]);
    for (const message of ['a', 'b', 'c', 'd']) domain.add('INFO', message);
    expect(domain.backlog()).toEqual([
      { timestamp: '2025-06-19T18:31:07.412000Z', level: 'INFO', message: 'c', seq: 3 },
      { timestamp: '2025-06-19T18:31:07.412000Z', level: 'INFO', message: 'd', seq: 4 },
    ]);
  });

  it('clear() empties the buffer and logs "Logs cleared" (legacy clear_logs)', () => {
    const domain = make();
    domain.add('ERROR', 'boom');
    domain.clear();
    expect(domain.recent(100)).toEqual([{ timestamp: '2025-06-19T18:31:07.412000Z', level: 'INFO', message: 'Logs cleared' }]);
  });

  it('legacy endpoint: connection frame on open, bare entries live, nothing for other events', () => {
    const legacy = mcpLogsLegacy();
    expect(legacy.open({ params: {} }, () => 0)).toEqual({ rooms: ['logs'], frames: ['{"type":"connection","message":"WebSocket connected for log streaming"}'] });
    const payload = { seq: 7, message: 'm', level: 'WARNING', timestamp: 't' };
    expect(legacy.encode({ room: 'logs', seq: 7, event: 'log', payload, at: 0 }, { params: {} })).toEqual(['{"timestamp":"t","level":"WARNING","message":"m"}']);
    expect(legacy.encode({ room: 'logs', seq: 8, event: 'logs_backlog', payload: { entries: [] }, at: 0 }, { params: {} })).toEqual([]);
  });
});

describe('mcpLogsOptionsFromEnv', () => {
  it('defaults to the legacy deque size and reads overrides', () => {
    expect(mcpLogsOptionsFromEnv({})).toMatchObject({ bufferSize: 1000, backlogSize: 100 });
    expect(mcpLogsOptionsFromEnv({ SWITCHYARD_MCP_LOGS_BUFFER: '50', SWITCHYARD_MCP_LOGS_BACKLOG: '5' })).toMatchObject({ bufferSize: 50, backlogSize: 5 });
    expect(() => mcpLogsOptionsFromEnv({ SWITCHYARD_MCP_LOGS_BUFFER: '-1' })).toThrow(/SWITCHYARD_MCP_LOGS_BUFFER/);
  });
});
