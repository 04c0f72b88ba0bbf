import { afterEach, describe, expect, it } from 'vitest';
import { api, until, type TestServer } from '../../support/harness.js';
import { deletePrefix, randomPrefix, redisForTests } from '../../support/redis.js';
import { startNode } from './nodes.js';

const withRedis = await redisForTests();
const ALL = ['crawl-progress', 'knowledge-items', 'agent-chat', 'project-creation', 'project-tasks', 'test-execution'] as const;

describe.skipIf(!withRedis)('cluster mode: every service keeps its entities in Redis', () => {
  const nodes: TestServer[] = [];
  let prefix = '';
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((node) => node.close()));
    await deletePrefix(prefix);
  });

  it('shows what one node stored on every node, and again after the whole cluster restarts', async () => {
    prefix = randomPrefix();
    const a = await startNode(prefix, 'node-a', { services: ALL });
    const b = await startNode(prefix, 'node-b', { services: ALL });
    nodes.push(a, b);
    const ok = (answer: { status: number }): void => expect(answer.status).toBeLessThan(300);
    ok(await api(a.url, 'PUT', '/api/producer/knowledge-items/src-1', { title: 'Docs', url: 'https://docs.example.com/' }));
    ok(await api(a.url, 'POST', '/api/producer/project-tasks/p-1/tasks', { id: 'task-1', title: 'Write the tests' }));
    ok(await api(b.url, 'PUT', '/api/producer/project-tasks/p-1/tasks/task-1', { status: 'doing' }));
    ok(await api(a.url, 'POST', '/api/producer/test-execution/start', { execution_id: 'run-1' }));
    ok(await api(b.url, 'POST', '/api/producer/test-execution/run-1/output', { lines: ['collected 3 items'] }));
    ok(await api(a.url, 'POST', '/api/producer/project-creation', { progressId: 'c-1', title: 'New project' }));
    ok(await api(a.url, 'POST', '/api/producer/projects', { id: 'proj-1', title: 'Project one' }));

    const reads = ['/api/producer/knowledge-items/src-1', '/api/producer/project-tasks/p-1/tasks', '/api/producer/test-execution/run-1',
      '/api/producer/project-creation/c-1', '/api/producer/projects/proj-1'];
    const fromA = await Promise.all(reads.map(async (path) => (await api(a.url, 'GET', path)).body));
    // Another node applies the same commits (it may be a few ms behind the one that took the call).
    await until(async () => JSON.stringify(await Promise.all(reads.map(async (path) => (await api(b.url, 'GET', path)).body))) === JSON.stringify(fromA), 3000, 'node b sees what node a stored');
    expect(fromA[1]).toMatchObject([{ id: 'task-1', status: 'doing' }]);
    expect(fromA[2]).toMatchObject({ execution_id: 'run-1', status: 'running', output: ['collected 3 items'] });

    await Promise.all(nodes.splice(0).map((node) => node.close()));
    const again = await startNode(prefix, 'node-c', { services: ALL });
    nodes.push(again);
    expect(await Promise.all(reads.map(async (path) => (await api(again.url, 'GET', path)).body))).toEqual(fromA);
  });

  it('numbers MCP log entries posted concurrently to several nodes exactly as their events', async () => {
    prefix = randomPrefix();
    const a = await startNode(prefix, 'node-a', { services: ['mcp-logs'] });
    const b = await startNode(prefix, 'node-b', { services: ['mcp-logs'] });
    nodes.push(a, b);
    const COUNT = 12;
    const answers = await Promise.all(Array.from({ length: COUNT }, (_, n) =>
      api((n % 2 ? a : b).url, 'POST', '/api/producer/mcp-logs', { level: 'INFO', message: `entry ${n}` })));
    const entries = answers.map((answer) => answer.body as { seq: number; message: string });
    expect(answers.map((answer) => answer.status)).toEqual(Array(COUNT).fill(201));
    expect(entries.map((entry) => entry.seq).sort((x, y) => x - y)).toEqual(Array.from({ length: COUNT }, (_, i) => i + 1));
    // The buffer, read from either node, holds every entry once, in sequence order.
    await until(async () => ((await api(b.url, 'GET', '/api/mcp/logs?limit=0')).body as { logs: unknown[] }).logs.length === COUNT, 3000, 'every entry in the buffer');
    const bySeq = [...entries].sort((x, y) => x.seq - y.seq).map((entry) => entry.message);
    for (const node of [a, b]) {
      const { logs } = (await api(node.url, 'GET', '/api/mcp/logs?limit=0')).body as { logs: Array<{ message: string }> };
      expect(logs.map((log) => log.message)).toEqual(bySeq);
    }
  });
});
