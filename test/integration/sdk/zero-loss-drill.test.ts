/**
 * The zero-loss drill, as a test. A few hundred SDK clients on all seven
 * services start on a 50/50 sticky rollout (so each service has clients on
 * both transports), beside one unmodified raw `ws` client per service.
 * Producers publish through the REST producer API the whole time, chat clients
 * send messages, and meanwhile the stages flip back and forth (admin
 * overrides, the rollout file) and the server cuts transport connections.
 *
 * Asserted at the end, against the hub's own record of every room event:
 * - every SDK client has, after its first snapshot, every event of its room
 *   exactly once and in sequence order, ends at the room head, connected,
 *   with no SEQUENCE_GAP/FRAME_UNDECODABLE warning and no resync;
 * - every chat message the SDK reported acknowledged is stored once on the
 *   server and was broadcast once to every chat client of the session;
 * - every raw legacy client received every marker of its entity once, in
 *   order, and was never disconnected.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SentMessage, SwitchyardClient, TransportKind } from '../../../src/client/index.js';
import { FileFlagSource } from '../../../src/flags/file-flag-source.js';
import { OverrideFlagSource } from '../../../src/flags/override-flag-source.js';
import type { Stage } from '../../../src/flags/stage.js';
import type { ServiceKey } from '../../../src/client/index.js';
import { socketIoOpen } from '../../../src/rollout/stage-controller.js';
import { chatRoom, type ChatMessage } from '../../../src/services/agent-chat/events.js';
import { crawlRoom } from '../../../src/services/crawl-progress/events.js';
import { roomName } from '../../../src/adapter/room-name.js';
import { withPlanDefaults } from '../../../src/client/plans.js';
import { perService, type HostedId, type ServiceId } from '../../../src/registry/contracts.js';
import { KNOWLEDGE_ROOM } from '../../../src/services/knowledge-items/events.js';
import { LOGS_ROOM } from '../../../src/services/mcp-logs/events.js';
import { creationRoom } from '../../../src/services/project-creation/events.js';
import { tasksRoom } from '../../../src/services/project-tasks/events.js';
import { executionRoom } from '../../../src/services/test-execution/events.js';
import { DRIVERS, pickMarkers, type ServiceDriver } from '../../support/drivers.js';
import { EXTRA_SERVICES, HOSTED_DRIVERS, HOSTED_IDS, TEST_SERVICES, perHosted } from '../../support/hosted.js';
import { ADMIN_TOKEN, adminHeaders } from '../../support/flags.js';
import { api, startServer, until, type TestServer } from '../../support/harness.js';
import type { LegacyClient } from '../../support/legacy-client.js';
import { SdkClients, recordLedger, recordUpgrades, sequenceGaps, setStage, summarize, type LedgerEntry } from './sdk-support.js';

/** SDK clients per room; 12 rooms of the registry's services → 288 SDK clients, plus 7 raw legacy clients; each test service adds a room and a raw client. */
const CLIENTS_PER_ROOM = 24;
/** Messages each chat client sends during the drill. */
const SENDS_PER_CHAT_CLIENT = 2;
/** Producer rounds right after each disruption, before the next one (or before waiting for clients to follow). */
const ROUNDS_PER_DISRUPTION = 3;
/** Producer rounds allowed while clients follow a stage change (they keep publishing, then pause until it is done). */
const ROUNDS_WHILE_SETTLING = 8;
/** Hard bound on producer rounds; a round publishes ≤ 4 events per room, so rooms stay well inside the 1000-event history. */
const MAX_ROUNDS = 240;

// One entity per service is the raw-client driver's (test/support/drivers.ts); a second one has SDK clients only.
const driverOf = (service: ServiceId): ServiceDriver => DRIVERS.find((d) => d.service === service)!;
/** SDK connection parameters of a driver's entity: its join payload, plus the legacy query parameters it adds. */
const driverParams = (driver: ServiceDriver): Record<string, string> => ({
  ...Object.fromEntries(Object.entries(driver.join[1]).map(([key, value]) => [key, String(value)])),
  ...driver.extraParams,
});
const DRIVER_PARAMS = perService((service) => driverParams(driverOf(service)));

interface RoomPlan {
  service: HostedId;
  /** What an SDK client names: the id, or a test service's contract. */
  key?: ServiceKey;
  params: Record<string, string>;
  room: string;
  /** Create the entity before clients join (driver rooms use the driver's setup). */
  setup(base: string): Promise<void>;
  /** One producer round: publish one or more events, through REST. */
  produce(base: string, round: number): Promise<void>;
}

const ok = async (request: Promise<{ status: number; body: unknown }>, what: string): Promise<unknown> => {
  const res = await request;
  if (res.status >= 300) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
};
const post = (base: string, path: string, body?: unknown): Promise<unknown> => ok(api(base, 'POST', path, body), `POST ${path}`);
const put = (base: string, path: string, body: unknown): Promise<unknown> => ok(api(base, 'PUT', path, body), `PUT ${path}`);
const marker = (round: number): string => `m${round}`;

/** `until`, with the failure message built when the deadline passes (so it shows the state then, not at the start). */
async function untilLate(condition: () => boolean, timeoutMs: number, describe: () => string): Promise<void> {
  try {
    await until(condition, timeoutMs, 'condition');
  } catch {
    throw new Error(`${describe()} (not met within ${timeoutMs} ms)`);
  }
}

function rooms(): RoomPlan[] {
  const d = driverOf;
  const P = DRIVER_PARAMS;
  const secondTasks: string[] = [];
  return [
    // crawl-progress
    { service: 'crawl-progress', params: P['crawl-progress'], room: crawlRoom(P['crawl-progress'].progress_id!),
      setup: (b) => d('crawl-progress').setup(b), produce: (b, r) => d('crawl-progress').produce(b, marker(r)) },
    { service: 'crawl-progress', params: { progress_id: 'zl-crawl-2' }, room: crawlRoom('zl-crawl-2'),
      setup: (b) => post(b, '/api/producer/crawl-progress', { progressId: 'zl-crawl-2' }).then(() => undefined),
      produce: (b, r) => post(b, '/api/producer/crawl-progress/zl-crawl-2/progress', { status: 'crawling', percentage: r % 100, log: `zl crawl ${r}` }).then(() => undefined) },
    // agent-chat: agent replies and typing from the producer; user messages come from the SDK clients.
    { service: 'agent-chat', params: P['agent-chat'], room: chatRoom(P['agent-chat'].session_id!),
      setup: (b) => d('agent-chat').setup(b),
      produce: async (b, r) => {
        await d('agent-chat').produce(b, marker(r));
        if (r % 3 === 0) await post(b, `/api/producer/agent-chat/sessions/${P['agent-chat'].session_id}/typing`, { is_typing: r % 2 === 0 });
      } },
    { service: 'agent-chat', params: { session_id: 'zl-chat-2' }, room: chatRoom('zl-chat-2'),
      setup: (b) => post(b, '/api/producer/agent-chat/sessions', { session_id: 'zl-chat-2', agent_type: 'rag' }).then(() => undefined),
      produce: async (b, r) => {
        await post(b, '/api/producer/agent-chat/sessions/zl-chat-2/messages', { content: `zl agent ${r}`, id: `zl-agent-${r}` });
        if (r % 4 === 1) await post(b, '/api/producer/agent-chat/sessions/zl-chat-2/typing', { is_typing: true });
      } },
    // project-tasks: creates, updates, archives and batch updates.
    { service: 'project-tasks', params: P['project-tasks'], room: tasksRoom(P['project-tasks'].project_id!),
      setup: (b) => d('project-tasks').setup(b), produce: (b, r) => d('project-tasks').produce(b, marker(r)) },
    { service: 'project-tasks', params: { project_id: 'zl-project-2', session_id: 'zl-task-session-2' }, room: tasksRoom('zl-project-2'),
      setup: async () => {},
      produce: async (b, r) => {
        const base = '/api/producer/project-tasks/zl-project-2';
        const task = (await post(b, `${base}/tasks`, { title: `zl task ${r}`, id: `zl-task-${r}` })) as { id: string };
        secondTasks.push(task.id);
        if (r % 2 === 0) await put(b, `${base}/tasks/${secondTasks[0]}`, { status: r % 4 === 0 ? 'doing' : 'review' });
        if (r % 5 === 0 && secondTasks.length > 2) await ok(api(b, 'DELETE', `${base}/tasks/${secondTasks.pop()}`), 'archive task');
        if (r % 7 === 0) await post(b, `${base}/tasks_updated`, { tasks: [{ id: secondTasks[0], task_order: r }] });
      } },
    // mcp-logs: one global room.
    { service: 'mcp-logs', params: {}, room: LOGS_ROOM,
      setup: async () => {},
      produce: async (b, r) => {
        await d('mcp-logs').produce(b, marker(r));
        if (r % 3 === 0) await post(b, '/api/producer/mcp-logs/batch', { entries: [{ level: 'WARNING', message: `zl batch ${r}a` }, { level: 'ERROR', message: `zl batch ${r}b` }] });
      } },
    // test-execution
    { service: 'test-execution', params: P['test-execution'], room: executionRoom(P['test-execution'].execution_id!),
      setup: (b) => d('test-execution').setup(b), produce: (b, r) => d('test-execution').produce(b, marker(r)) },
    { service: 'test-execution', params: { execution_id: 'zl-exec-2' }, room: executionRoom('zl-exec-2'),
      setup: (b) => post(b, '/api/producer/test-execution/start', { execution_id: 'zl-exec-2' }).then(() => undefined),
      produce: (b, r) => post(b, '/api/producer/test-execution/zl-exec-2/output', { lines: [`zl out ${r}`, `zl out ${r} bis`] }).then(() => undefined) },
    // project-creation
    { service: 'project-creation', params: P['project-creation'], room: creationRoom(P['project-creation'].progress_id!),
      setup: (b) => d('project-creation').setup(b), produce: (b, r) => d('project-creation').produce(b, marker(r)) },
    { service: 'project-creation', params: { progress_id: 'zl-creation-2' }, room: creationRoom('zl-creation-2'),
      setup: (b) => post(b, '/api/producer/project-creation', { progressId: 'zl-creation-2', title: 'Zero loss' }).then(() => undefined),
      produce: (b, r) => post(b, '/api/producer/project-creation/zl-creation-2/progress', { percentage: r % 100, step: 'drill', log: `zl creation ${r}` }).then(() => undefined) },
    // knowledge-items: upload results and list changes (list changes have no legacy frame: legacy.md §8).
    { service: 'knowledge-items', params: {}, room: KNOWLEDGE_ROOM,
      setup: async () => {},
      produce: async (b, r) => {
        await d('knowledge-items').produce(b, marker(r));
        if (r % 2 === 0) await put(b, `/api/producer/knowledge-items/zl-source-${r % 3}`, { title: `Source ${r}`, total_words: r });
        if (r % 5 === 0) await post(b, '/api/producer/knowledge-items/upload-error', { filename: `zl-${r}.pdf`, progressId: `zl-up-${r}`, error: 'bad file' });
      } },
    // Services defined under test/: one room each, their driver's entity.
    ...TEST_SERVICES.map(({ server: { contract }, driver }): RoomPlan => ({
      service: driver.service, key: contract, params: driverParams(driver), room: roomName(withPlanDefaults(contract.plan), driverParams(driver))!,
      setup: (b) => driver.setup(b), produce: (b, r) => driver.produce(b, marker(r)),
    })),
  ];
}

/** The rollout file: every service 50/50 between legacy and Socket.IO (sticky by clientId). */
function rolloutFile(percent: number): string {
  return JSON.stringify(Object.fromEntries(HOSTED_IDS.map((id) => [id, { stage: 'legacy', rollout: { stage: 'socketio', percent } }])));
}

interface DrillClient {
  plan: RoomPlan;
  client: SwitchyardClient<ServiceKey>;
  /** Chat only: every new_message delivered, with its seq. */
  messages: Array<{ id: string; seq: number }>;
}

interface Send {
  session: string;
  text: string;
  result: Promise<SentMessage>;
  settled?: { ok: true; sent: SentMessage } | { ok: false; code: string };
}

describe('zero-loss drill: every service (the seven and the test services), both transports, stages flipping, connections cut', () => {
  let server: TestServer;
  let clients: SdkClients;
  let flagDir: string;
  let flags: OverrideFlagSource;
  const plans = rooms();

  beforeAll(async () => {
    flagDir = await mkdtemp(join(tmpdir(), 'switchyard-drill-'));
    await writeFile(join(flagDir, 'flags.json'), rolloutFile(50));
    const defaults = perHosted((): Stage => 'legacy');
    flags = new OverrideFlagSource(new FileFlagSource({ path: join(flagDir, 'flags.json'), defaults }), HOSTED_IDS);
    await flags.start();
    server = await startServer({ flags, adminToken: ADMIN_TOKEN, extraServices: EXTRA_SERVICES });
    clients = new SdkClients(server);
    for (const plan of plans) await plan.setup(server.url);
  });
  afterAll(async () => {
    clients?.closeAll();
    await server?.close();
    await flags?.close();
    if (flagDir) await rm(flagDir, { recursive: true, force: true });
  });

  it('loses, repeats and reorders nothing, for every client', { timeout: 120_000 }, async () => {
    const started = Date.now();
    const ledger = recordLedger(server);
    const upgrades = recordUpgrades(server);

    // Raw legacy clients first, one per service, on the driver entities: they never reconnect.
    const raw = new Map<HostedId, LegacyClient>();
    for (const driver of HOSTED_DRIVERS) raw.set(driver.service, await server.legacy(driver.legacyPath));

    const all: DrillClient[] = [];
    for (const plan of plans) {
      for (let i = 0; i < CLIENTS_PER_ROOM; i++) {
        const client = clients.connect({
          service: plan.key ?? plan.service, params: plan.params, ackTimeoutMs: 1000,
        } as Parameters<SdkClients['connect']>[0]) as SwitchyardClient<ServiceKey>;
        const entry: DrillClient = { plan, client, messages: [] };
        if (plan.service === 'agent-chat') {
          (client as unknown as SwitchyardClient<'agent-chat'>).on('new_message', (p) => entry.messages.push({ id: p.message.id, seq: p.seq }));
        }
        all.push(entry);
      }
    }
    const firstTransports = await Promise.all(all.map(({ client }) => client.whenConnected(20_000)));
    // The rollout put some clients of every service on each transport.
    for (const service of HOSTED_IDS) {
      const kinds = new Set(all.flatMap(({ plan }, i) => (plan.service === service ? [firstTransports[i]] : [])));
      expect(kinds, `${service}: initial transports`).toEqual(new Set<TransportKind>(['legacy', 'socketio']));
    }

    // Nothing publishes until the producers start: each client joined at exactly this head of its room.
    const joinHeads = new Map(plans.map((plan) => [plan.room, server.sy.hub.head(plan.room)]));

    // Chat sends: every chat client sends SENDS_PER_CHAT_CLIENT messages at rounds spread over the drill.
    const chatClients = all.filter(({ plan }) => plan.service === 'agent-chat');
    const sendAt = new Map<number, Array<{ entry: DrillClient; text: string }>>();
    chatClients.forEach((entry, i) => {
      for (let k = 0; k < SENDS_PER_CHAT_CLIENT; k++) {
        const round = 1 + ((i * 7 + k * 13) % 30);
        const list = sendAt.get(round) ?? [];
        list.push({ entry, text: `zl user ${i}.${k}` });
        sendAt.set(round, list);
      }
    });
    const sends: Send[] = [];

    // Producers: one round publishes on every room, in parallel across rooms, sequentially within one.
    // The drill hands out rounds (`budget`), so publishing goes on during every switch but stays bounded.
    let round = 0;
    let budget = 0;
    let stop = false;
    const expectedMarkers = new Map<HostedId, string[]>(HOSTED_IDS.map((s) => [s, []]));
    const producing = (async () => {
      while (!stop && round < MAX_ROUNDS) {
        await until(() => round < budget || stop, 60_000, 'next producer round handed out');
        if (stop) break;
        const r = round + 1;
        for (const { entry, text } of sendAt.get(r) ?? []) {
          const chat = entry.client as unknown as SwitchyardClient<'agent-chat'>;
          const send: Send = { session: entry.plan.params.session_id!, text, result: chat.sendMessage(text) };
          send.result.then(
            (sent) => (send.settled = { ok: true, sent }),
            (error: { code?: string }) => (send.settled = { ok: false, code: String(error?.code ?? error) }),
          );
          sends.push(send);
        }
        await Promise.all(plans.map((plan) => plan.produce(server.url, r)));
        for (const service of HOSTED_IDS) expectedMarkers.get(service)!.push(marker(r));
        round = r;
      }
    })();
    const afterRounds = async (n: number, what: string): Promise<void> => {
      const target = Math.min(round + n, MAX_ROUNDS);
      budget = Math.max(budget, target);
      await until(() => round >= target, 15_000, `producer round ${target} (${what})`);
    };

    // The disruptions, in order; producers run throughout.
    const groupA: HostedId[] = ['crawl-progress', 'agent-chat', 'project-tasks'];
    const groupB: HostedId[] = HOSTED_IDS.filter((id) => !groupA.includes(id));
    const stageAll = (services: readonly HostedId[], stage: Stage) => () => Promise.all(services.map((s) => setStage(server, s, stage)));
    const clearOverrides = (services: readonly HostedId[]) => () => Promise.all(services.map((s) =>
      ok(api(server.url, 'DELETE', `/api/admin/stages/${s}`, undefined, adminHeaders), `clear ${s}`)));
    const rollout = (percent: number) => async () => {
      await writeFile(join(flagDir, 'flags.json'), rolloutFile(percent));
      await ok(api(server.url, 'POST', '/api/admin/flags/refresh', undefined, adminHeaders), 'refresh flags');
    };
    const namespaces = [...server.sy.plans.values()].map((p) => p.socketio.namespace);
    const disconnectAll = () => { for (const ns of namespaces) server.sy.io.of(ns).disconnectSockets(true); };
    // SDK legacy links carry `switchyard_seq=1`; the raw clients do not and are never cut.
    const cutSdkLegacy = () => upgrades.cut('/api/', (path) => path.includes('switchyard_seq=1'));
    const cutEngine = () => upgrades.cut('/socket.io/');
    // Where the server serves each client now (the rule discovery applies): clients must follow it.
    const expectedTransport = ({ client, plan }: DrillClient): TransportKind =>
      socketIoOpen(flags.stageFor(plan.service, { clientId: client.clientId })) ? 'socketio' : 'legacy';
    const astray = (): DrillClient[] => all.filter((c) => c.client.state.state !== 'connected' || c.client.transport !== expectedTransport(c));
    // [what, disrupt, then wait for every client to follow (true) or flip again at once (false)]
    const disruptions: Array<[string, () => unknown, boolean]> = [
      ['all → socketio', stageAll(HOSTED_IDS, 'socketio'), true],
      ['cut SDK legacy sockets', cutSdkLegacy, false],
      ['A → legacy', stageAll(groupA, 'legacy'), false],
      ['disconnect all namespaces', disconnectAll, true],
      ['rollout 80%, B back to the rollout', async () => { await rollout(80)(); await clearOverrides(groupB)(); }, false],
      ['A → shadow', stageAll(groupA, 'shadow'), true],
      ['cut engine.io sockets', cutEngine, false],
      ['B → legacy, A → socketio', async () => { await stageAll(groupB, 'legacy')(); await stageAll(groupA, 'socketio')(); }, true],
      ['all → retired', stageAll(HOSTED_IDS, 'retired'), false],
      ['cut SDK legacy sockets (retired: refused, to Socket.IO)', cutSdkLegacy, true],
      ['all → legacy', stageAll(HOSTED_IDS, 'legacy'), false],
      ['cut SDK legacy sockets', cutSdkLegacy, true],
      ['all → socketio', stageAll(HOSTED_IDS, 'socketio'), false],
      ['all → legacy at once', stageAll(HOSTED_IDS, 'legacy'), true],
      ['rollout 30%, all back to the rollout', async () => { await rollout(30)(); await clearOverrides(HOSTED_IDS)(); }, false],
      ['disconnect all namespaces + cut SDK legacy', () => { disconnectAll(); cutSdkLegacy(); }, true],
      ['A → socketio, B → shadow', async () => { await stageAll(groupA, 'socketio')(); await stageAll(groupB, 'shadow')(); }, false],
      ['cut engine.io sockets', cutEngine, true],
      ['rollout 50%, all back to the rollout', async () => { await rollout(50)(); await clearOverrides(HOSTED_IDS)(); }, true],
    ];
    try {
      await afterRounds(ROUNDS_PER_DISRUPTION, 'warm-up');
      for (const [what, disrupt, settle] of disruptions) {
        await disrupt();
        await afterRounds(ROUNDS_PER_DISRUPTION, what);
        if (settle) {
          budget = Math.min(round + ROUNDS_WHILE_SETTLING, MAX_ROUNDS);
          await untilLate(() => astray().length === 0, 20_000, () => `every client follows "${what}"; astray ${astray().length}:\n`
            + astray().slice(0, 3).map((c) => `${c.plan.service} want ${expectedTransport(c)}: ${summarize(c.client)}`).join('\n'));
        }
      }
      // Every scheduled chat send has been issued before the producers stop.
      await afterRounds(Math.max(0, Math.max(...sendAt.keys()) - round) + 1, 'last chat sends');
    } finally {
      stop = true;
      await producing;
    }
    const rounds = round;

    // Settle: every send answered, every client connected at its room head.
    await untilLate(() => sends.every((s) => s.settled !== undefined), 20_000,
      () => `chat sends settled (${sends.filter((s) => !s.settled).length} pending)`);
    const lagging = (): DrillClient[] => all.filter(({ client, plan }) => client.state.state !== 'connected' || client.lastSeq !== server.sy.hub.head(plan.room));
    await untilLate(() => lagging().length === 0, 20_000,
      () => `every client at its room head; lagging ${lagging().length}:\n${lagging().slice(0, 5).map(({ client, plan }) => `${plan.room} head ${server.sy.hub.head(plan.room)}: ${summarize(client)}`).join('\n')}`);

    // 1. Per SDK client: the room's events after its join, each once, in order (checked against the hub's record).
    const problems: string[] = [];
    for (const { client, plan } of all) {
      const j = client.journal;
      const events = ledger.get(plan.room) ?? [];
      const joinHead = joinHeads.get(plan.room)!;
      const leading = j.received.findIndex((r) => !r.snapshot);
      const live = j.received.filter((r) => !r.snapshot);
      const expected = events.filter((e) => e.seq > joinHead);
      const why = (text: string): void => void problems.push(`${plan.room} ${client.clientId}: ${text}\n  ${summarize(client)}`);
      // The join snapshot (some services send none on some transports) is consistent with the join head.
      const initial = leading === -1 ? j.received : j.received.slice(0, leading);
      if (initial.some((r) => r.seq !== joinHead)) why(`join snapshot not at the join head ${joinHead}`);
      const lateSnapshots = leading === -1 ? [] : j.received.slice(leading).filter((r) => r.snapshot);
      if (lateSnapshots.length > 0) why(`snapshot deliveries after live events: ${lateSnapshots.map((r) => `${r.event}@${r.seq}`).join(' ')}`);
      const gaps = sequenceGaps(j.received);
      if (gaps.length > 0) why(`gaps ${gaps.join(', ')}`);
      if (live.map((r) => r.seq).join() !== expected.map((e) => e.seq).join()) {
        why(`live seqs differ from the hub's: got ${live.length}, want ${expected.length} (${joinHead + 1}..${server.sy.hub.head(plan.room)})`);
      } else {
        const wrong = live.filter((r, i) => r.event !== expected[i]!.event);
        if (wrong.length > 0) why(`events differ: ${wrong.slice(0, 3).map((r) => `${r.seq} ${r.event}≠${expected[live.indexOf(r)]!.event}`).join(', ')}`);
      }
      const bad = j.warnings.filter((w) => w.code === 'SEQUENCE_GAP' || w.code === 'FRAME_UNDECODABLE');
      if (bad.length > 0) why(`warnings ${JSON.stringify(bad.slice(0, 3))}`);
      if (j.resyncs.length > 0) why(`resyncs ${JSON.stringify(j.resyncs)}`);
    }
    expect(problems.slice(0, 10).join('\n'), `${problems.length} client problems`).toBe('');

    // 2. Chat: acknowledged messages stored once, and broadcast once to each chat client.
    const acked = sends.flatMap((s) => (s.settled?.ok ? [{ ...s, sent: s.settled.sent }] : []));
    const failed = sends.filter((s) => s.settled?.ok === false).map((s) => (s.settled as { code: string }).code);
    expect(failed, 'chat sends that were not acknowledged').toEqual([]);
    const sessions = [...new Set(sends.map((s) => s.session))];
    for (const session of sessions) {
      const res = await api(server.url, 'GET', `/api/agent-chat/sessions/${session}`);
      expect(res.status).toBe(200);
      const stored = (res.body as { session: { messages: ChatMessage[] } }).session.messages;
      const users = stored.filter((m) => m.sender === 'user');
      const mine = acked.filter((s) => s.session === session);
      for (const { sent, text } of mine) {
        const copies = stored.filter((m) => m.id === sent.id);
        expect(copies.map((m) => m.content), `stored copies of ${sent.id} (${sent.transport})`).toEqual([text]);
      }
      // Nothing stored that was not acknowledged, and no content stored twice (a retry under another id).
      expect(users.map((m) => m.content).sort()).toEqual(mine.map((s) => s.text).sort());
      const published = (ledger.get(chatRoom(session)) ?? []).filter((e) => e.event === 'new_message');
      const publishedIds = published.map((e) => (e.payload.message as ChatMessage).id);
      for (const { sent } of mine) expect(publishedIds.filter((id) => id === sent.id), `broadcasts of ${sent.id}`).toHaveLength(1);
      for (const { client, messages } of chatClients.filter(({ plan }) => plan.params.session_id === session)) {
        const joinHead = joinHeads.get(chatRoom(session))!;
        const want = published.filter((e: LedgerEntry) => e.seq > joinHead).map((e) => (e.payload.message as ChatMessage).id);
        const got = messages.filter((m) => m.seq > joinHead).map((m) => m.id);
        expect(got, `new_message ids seen by chat client ${client.clientId}`).toEqual(want);
        expect(new Set(messages.map((m) => m.id)).size, `no message twice for ${client.clientId}`).toBe(messages.length);
      }
    }

    // 3. Raw legacy clients: every marker of their entity once, in order, never disconnected.
    for (const driver of HOSTED_DRIVERS) {
      const client = raw.get(driver.service)!;
      const want = expectedMarkers.get(driver.service)!;
      const seen = (): string[] => client.frames.flatMap((f) => pickMarkers(driver, JSON.parse(f) as Record<string, unknown>));
      await until(() => seen().length >= want.length || client.closed !== undefined, 10_000, `${driver.service} raw legacy frames`);
      expect(client.closed, `${driver.service} raw legacy client closed`).toBeUndefined();
      expect(seen(), `${driver.service} raw legacy markers`).toEqual(want);
    }

    // The drill did what it says.
    const switched = all.filter(({ client }) => client.journal.transports.length >= 3).length;
    const reconnected = all.filter(({ client }) => client.journal.states.some((s) => s.state === 'reconnecting')).length;
    expect(switched, 'clients that switched transport at least twice').toBeGreaterThan(all.length / 2);
    expect(reconnected, 'clients that reconnected after a cut').toBeGreaterThan(all.length / 4);
    expect(acked.length).toBe(chatClients.length * SENDS_PER_CHAT_CLIENT);
    const audit = (await api(server.url, 'GET', '/api/admin/audit', undefined, adminHeaders)).body as { entries: unknown[] };
    console.info(`zero-loss drill: ${all.length} SDK + ${raw.size} raw legacy clients, ${rounds} rounds, `
      + `${[...ledger.values()].reduce((n, l) => n + l.length, 0)} room events, ${audit.entries.length} stage changes, `
      + `${switched} clients switched ≥2×, ${reconnected} reconnected, ${acked.length} chat messages acked `
      + `(${acked.filter((s) => s.sent.transport === 'legacy').length} over legacy REST), ${Date.now() - started} ms`);
  });
});
