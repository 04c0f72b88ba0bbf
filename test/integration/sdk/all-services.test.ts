import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceKey, SwitchyardClient } from '../../../src/client/index.js';
import type { HostedId } from '../../../src/registry/contracts.js';
import { ADMIN_TOKEN, overridableFlags } from '../../support/flags.js';
import { EXTRA_SERVICES, TEST_SERVICES } from '../../support/hosted.js';
import { api, startServer, type TestServer } from '../../support/harness.js';
import { SdkClients, liveSeqs, setStage, summarize, untilJournal } from './sdk-support.js';

/** Per service: the entity to join, how to prepare it, and one producer call that yields `event` on both transports. */
interface Case {
  service: HostedId;
  /** What the SDK client names: the id, or a test service's contract. */
  key?: ServiceKey;
  params: Record<string, string>;
  setup?: (base: string) => Promise<unknown>;
  produce: (base: string, n: number) => Promise<unknown>;
  event: string;
}

const post = (base: string, path: string, body: unknown): Promise<unknown> => api(base, 'POST', path, body).then((res) => {
  if (res.status >= 300) throw new Error(`POST ${path}: ${res.status} ${JSON.stringify(res.body)}`);
});

const CASES: Case[] = [
  {
    service: 'crawl-progress', params: { progress_id: 'all-crawl' }, event: 'progress_update',
    setup: (b) => post(b, '/api/producer/crawl-progress', { progressId: 'all-crawl' }),
    produce: (b, n) => post(b, '/api/producer/crawl-progress/all-crawl/progress', { status: 'crawling', percentage: n }),
  },
  {
    service: 'agent-chat', params: { session_id: 'all-chat' }, event: 'new_message',
    setup: (b) => post(b, '/api/producer/agent-chat/sessions', { session_id: 'all-chat' }),
    produce: (b, n) => post(b, '/api/producer/agent-chat/sessions/all-chat/messages', { content: `reply ${n}` }),
  },
  {
    service: 'project-tasks', params: { project_id: 'all-project' }, event: 'task_created',
    produce: (b, n) => post(b, '/api/producer/project-tasks/all-project/tasks', { title: `task ${n}` }),
  },
  {
    service: 'mcp-logs', params: {}, event: 'log',
    produce: (b, n) => post(b, '/api/producer/mcp-logs', { level: 'INFO', message: `line ${n}` }),
  },
  {
    service: 'test-execution', params: { execution_id: 'all-exec' }, event: 'test_output',
    setup: (b) => post(b, '/api/producer/test-execution/start', { execution_id: 'all-exec' }),
    produce: (b, n) => post(b, '/api/producer/test-execution/all-exec/output', { lines: [`out ${n}`] }),
  },
  {
    service: 'project-creation', params: { progress_id: 'all-creation' }, event: 'project_progress',
    setup: (b) => post(b, '/api/producer/project-creation', { progressId: 'all-creation', title: 'P' }),
    produce: (b, n) => post(b, '/api/producer/project-creation/all-creation/progress', { status: 'processing', percentage: n, log: `step ${n}` }),
  },
  {
    service: 'knowledge-items', params: {}, event: 'upload_completed',
    produce: (b, n) => post(b, '/api/producer/knowledge-items/upload-completed', { filename: `f${n}.md`, progressId: `u${n}`, sourceId: `s${n}` }),
  },
  // The services defined under test/, from their drivers.
  ...TEST_SERVICES.map(({ server, driver }): Case => ({
    service: driver.service, key: server.contract, event: driver.event,
    params: Object.fromEntries(Object.entries(driver.join[1]).map(([key, value]) => [key, String(value)])),
    setup: (b) => driver.setup(b), produce: (b, n) => driver.produce(b, `m${n}`),
  })),
];

describe('SDK on every service: legacy → Socket.IO → legacy, each event once', () => {
  let server: TestServer;
  let clients: SdkClients;
  beforeAll(async () => {
    server = await startServer({ flags: overridableFlags('legacy'), adminToken: ADMIN_TOKEN, extraServices: EXTRA_SERVICES });
    clients = new SdkClients(server);
  });
  afterAll(async () => {
    clients.closeAll();
    await server.close();
  });

  it.each(CASES)('$service', async ({ service, key, params, setup, produce, event }) => {
    await setup?.(server.url);
    const client = clients.connect({ service: key ?? service, params } as Parameters<SdkClients['connect']>[0]) as SwitchyardClient<ServiceKey>;
    expect(await client.whenConnected()).toBe('legacy');
    let n = 0;
    const seen = (): number => client.journal.received.filter((r) => r.event === event && !r.snapshot).length;
    const produceAndSee = async (where: string): Promise<void> => {
      const before = seen();
      await produce(server.url, ++n);
      await untilJournal(client, () => seen() === before + 1, `${service}: ${event} #${n} ${where}`);
    };
    await produceAndSee('on legacy');
    await setStage(server, service, 'socketio');
    await untilJournal(client, (j) => j.transports.length === 2, `${service}: moved to Socket.IO`);
    await produceAndSee('on Socket.IO');
    await setStage(server, service, 'legacy');
    await untilJournal(client, (j) => j.transports.length === 3, `${service}: back on legacy`);
    await produceAndSee('back on legacy');

    const seqs = liveSeqs(client);
    expect(new Set(seqs).size, summarize(client)).toBe(seqs.length);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    expect(client.journal.transports.map((t) => t.to)).toEqual(['legacy', 'socketio', 'legacy']);
    expect(client.journal.resyncs).toEqual([]);
    client.close();
  });
});
