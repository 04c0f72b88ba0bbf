import { WebSocket } from 'ws';
import { connect, type ConnectOptions, type ReceivedRecord, type ServiceKey, type SwitchyardClient } from '../../../src/client/index.js';
import type { Stage } from '../../../src/flags/stage.js';
import type { HostedId } from '../../../src/registry/contracts.js';
import { adminHeaders } from '../../support/flags.js';
import { api, until, type TestServer } from '../../support/harness.js';

/**
 * Helpers for SDK tests against a real Switchyard. Clients are made with a
 * journal and `ws` (Node 20 has no global WebSocket), fast backoff, and are
 * closed by `closeAll()`.
 */
export class SdkClients {
  readonly #clients: Array<SwitchyardClient<ServiceKey>> = [];
  constructor(readonly server: TestServer) {}

  connect<S extends ServiceKey>(options: Omit<ConnectOptions<S>, 'url'> & { url?: string }): SwitchyardClient<S> {
    const client = connect<S>({
      url: this.server.url,
      WebSocketImpl: WebSocket,
      journal: true,
      backoff: { baseMs: 20, capMs: 200 },
      connectTimeoutMs: 3000,
      ...options,
    });
    this.#clients.push(client as unknown as SwitchyardClient<ServiceKey>);
    return client;
  }

  closeAll(): void {
    for (const client of this.#clients.splice(0)) client.close();
  }
}

export async function setStage(server: TestServer, service: HostedId, stage: Stage): Promise<void> {
  const res = await api(server.url, 'PUT', `/api/admin/stages/${service}`, { stage }, adminHeaders);
  if (res.status !== 200) throw new Error(`set stage ${service} → ${stage}: ${res.status} ${JSON.stringify(res.body)}`);
}

/** Wait until the client's journal satisfies `condition` (deadline, no blind sleep). */
export function untilJournal<S extends ServiceKey>(client: SwitchyardClient<S>, condition: (journal: SwitchyardClient<S>['journal']) => boolean, what: string, timeoutMs = 5000): Promise<void> {
  return until(() => condition(client.journal), timeoutMs, `${what} (journal: ${summarize(client)})`);
}

/** Non-snapshot events received, as seqs. */
export function liveSeqs<S extends ServiceKey>(client: SwitchyardClient<S>): number[] {
  return client.journal.received.filter((r) => !r.snapshot).map((r) => r.seq);
}

export function summarize<S extends ServiceKey>(client: SwitchyardClient<S>): string {
  const j = client.journal;
  return JSON.stringify({
    state: client.state,
    transports: j.transports,
    states: j.states.map((s) => s.state).join(','),
    received: j.received.map((r) => `${r.transport[0]}${r.snapshot ? 's' : ''}${r.seq}`).join(' '),
    warnings: j.warnings,
  });
}

/**
 * Records the raw TCP socket of every WebSocket upgrade, so a test can cut
 * connections the way a network would (no close frame). A second 'upgrade'
 * listener that only records does not compete with Switchyard's router.
 */
export function recordUpgrades(server: TestServer): { cut(pathPrefix: string, where?: (path: string) => boolean): number } {
  const sockets: Array<{ path: string; socket: import('node:stream').Duplex }> = [];
  server.sy.httpServer.on('upgrade', (req, socket) => {
    sockets.push({ path: req.url ?? '', socket });
  });
  return {
    /** Cut every open upgrade whose path starts with `pathPrefix` (and satisfies `where`, when given). */
    cut(pathPrefix, where = () => true) {
      let count = 0;
      for (const entry of sockets) {
        if (!entry.path.startsWith(pathPrefix) || !where(entry.path) || entry.socket.destroyed) continue;
        entry.socket.destroy();
        count++;
      }
      return count;
    },
  };
}

/** One room event as the hub published it. */
export interface LedgerEntry {
  seq: number;
  event: string;
  payload: Record<string, unknown>;
}

/**
 * The server's own record of every room event, per room, in publish order
 * (what each client must end up with after its snapshot). Listens on the hub's
 * broadcast, which sees every published event once.
 */
export function recordLedger(server: TestServer): ReadonlyMap<string, readonly LedgerEntry[]> {
  const rooms = new Map<string, LedgerEntry[]>();
  server.sy.hub.onBroadcast((_service, { room, seq, event, payload }) => {
    let list = rooms.get(room);
    if (!list) rooms.set(room, (list = []));
    list.push({ seq, event, payload });
  });
  return rooms;
}

/** Every live event after the latest snapshot, contiguous and once: the zero-loss property, per client. */
export function sequenceGaps(received: readonly ReceivedRecord[]): string[] {
  const problems: string[] = [];
  let previous: number | undefined;
  for (const record of received) {
    if (record.snapshot) {
      previous = record.seq;
      continue;
    }
    if (previous !== undefined && record.seq !== previous + 1) problems.push(`${previous}→${record.seq} (${record.transport})`);
    previous = record.seq;
  }
  return problems;
}
