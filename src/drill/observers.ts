/**
 * The drill's synthetic clients. Each records the markers it receives, in
 * arrival order and with the time, so the report can count losses, repeats
 * and inversions and measure delivery latency; SDK clients also record when
 * they changed transport.
 */
import { WebSocket } from 'ws';
import { connect, type JoinParams, type SwitchyardClient, type TransportKind } from '../client/index.js';
import type { ServiceId } from '../registry/contracts.js';
import type { Scenario } from './scenarios.js';

export interface Arrival {
  n: number;
  at: number;
}

export interface Observer {
  readonly kind: 'legacy' | 'sdk';
  readonly name: string;
  readonly arrivals: Arrival[];
  readonly errors: string[];
  /** Highest marker number received (0 before any). */
  readonly highest: number;
  close(): void;
}

const markerNumber = (marker: string): number => Number(marker.slice(1));

/**
 * An unmodified legacy client: a raw `ws` socket on the legacy path exactly
 * as the legacy frontend opened it (no Switchyard query parameter). It never
 * switches anything itself: the server moves it between the legacy handlers
 * and the adapter, and it must not notice.
 */
export class LegacyObserver implements Observer {
  readonly kind = 'legacy' as const;
  readonly arrivals: Arrival[] = [];
  readonly errors: string[] = [];
  highest = 0;
  #ws: WebSocket | undefined;
  #closing = false;

  constructor(readonly name: string, private readonly scenario: Scenario, private readonly now: () => number) {}

  open(wsBase: string, token: string | undefined, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(wsBase + this.scenario.legacyPath, { headers: token ? { authorization: `Bearer ${token}` } : {} });
      this.#ws = ws;
      const timer = setTimeout(() => reject(new Error(`${this.name}: not open within ${timeoutMs} ms`)), timeoutMs);
      ws.once('open', () => {
        clearTimeout(timer);
        resolve();
      });
      ws.once('unexpected-response', (_req, res) => {
        clearTimeout(timer);
        reject(new Error(`${this.name}: handshake refused with HTTP ${res.statusCode}`));
      });
      ws.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      ws.on('message', (data) => this.#onFrame(data.toString()));
      ws.on('close', (code) => {
        if (!this.#closing) this.errors.push(`${this.name}: closed by the server (${code})`);
      });
    });
  }

  #onFrame(text: string): void {
    const at = this.now();
    let frame: unknown;
    try {
      frame = JSON.parse(text);
    } catch {
      return; // text pongs and the like
    }
    if (frame === null || typeof frame !== 'object' || Array.isArray(frame)) return;
    for (const marker of this.scenario.pick(frame as Record<string, unknown>)) {
      const n = markerNumber(marker);
      this.arrivals.push({ n, at });
      if (n > this.highest) this.highest = n;
    }
  }

  close(): void {
    this.#closing = true;
    this.#ws?.close(1000);
  }
}

/** A client built on the SDK (src/client): follows the stage, resumes by sequence. */
export class SdkObserver implements Observer {
  readonly kind = 'sdk' as const;
  readonly arrivals: Arrival[] = [];
  readonly errors: string[] = [];
  readonly warnings: string[] = [];
  /** Every transport change, with when it happened. */
  readonly transports: Array<{ to: TransportKind; at: number }> = [];
  highest = 0;
  readonly client: SwitchyardClient<ServiceId>;
  #waiters = new Set<() => void>();

  constructor(readonly name: string, scenario: Scenario, base: string, token: string | undefined, private readonly now: () => number) {
    this.client = connect<ServiceId>({
      url: base, service: scenario.service,
      // The scenario's params are the service's join parameters; the generic service id cannot say which.
      params: scenario.params as JoinParams<ServiceId>,
      clientId: name, WebSocketImpl: WebSocket, journal: true,
      ...(token ? { token } : {}),
    });
    const client = this.client as unknown as { on(event: string, listener: (payload: Record<string, unknown>) => void): void };
    client.on(scenario.event, (payload) => {
      const at = this.now();
      // The journal entry of this very delivery is pushed just before the listener runs: join snapshots are not events.
      if (this.client.journal.received.at(-1)?.snapshot) return;
      for (const marker of scenario.pick(payload)) {
        const n = markerNumber(marker);
        this.arrivals.push({ n, at });
        if (n > this.highest) this.highest = n;
      }
    });
    this.client.on('transport', (change) => {
      this.transports.push({ to: change.to, at: this.now() });
      for (const wake of [...this.#waiters]) wake();
    });
    this.client.on('state', (state) => {
      if (state.state === 'failed') this.errors.push(`${name}: failed (${state.code}: ${state.message})`);
    });
    // Warnings (a switch attempt overtaken by the next change, an undecodable frame) are reported, not failures:
    // what they could cost (a lost or repeated event) is counted from the markers themselves.
    this.client.on('warning', (warning) => {
      if (this.warnings.length < 20) this.warnings.push(`${name}: ${warning.code}: ${warning.message}`);
    });
  }

  /** When this client reached `target` after `since` (0 if it was already there and never left), or undefined on timeout. */
  async switchedTo(target: TransportKind, since: number, signal: AbortSignal): Promise<number | undefined> {
    const find = (): number | undefined => {
      const moved = this.transports.find((t) => t.at >= since && t.to === target);
      if (moved) return moved.at - since;
      return undefined;
    };
    for (;;) {
      const found = find();
      if (found !== undefined) return found;
      if (signal.aborted) return undefined;
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          this.#waiters.delete(wake);
          signal.removeEventListener('abort', wake);
          resolve();
        };
        this.#waiters.add(wake);
        signal.addEventListener('abort', wake, { once: true });
      });
    }
  }

  close(): void {
    this.client.close();
  }
}
