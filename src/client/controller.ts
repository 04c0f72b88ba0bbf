import type { ServicePlan } from '../adapter/plan-schema.js';
import { backoffDelay, type BackoffPolicy } from './backoff.js';
import type { FailureCode } from './codes.js';
import { discover, type FetchLike } from './discovery.js';
import { discoveryEndpoints, planEndpoints, type Endpoints } from './endpoints.js';
import { createLink } from './link-factory.js';
import type { LivenessOptions } from './liveness.js';
import { LinkEndError, linkEnd, type Incoming, type Link, type LinkEnd, type Ready } from './link.js';
import { SequenceTracker } from './sequence.js';
import type { WebSocketConstructor } from './transports/legacy-transport.js';
import type { ClientState, ClientWarning, ReceivedRecord, ResyncInfo, TransportChange, TransportKind } from './types.js';

/** Everything the controller needs, defaults already applied by `connect()`. */
export interface ControllerOptions {
  url: string;
  plan: ServicePlan;
  params: Readonly<Record<string, string>>;
  room: string;
  clientId: string;
  transports: readonly TransportKind[];
  socketIoTransports: ReadonlyArray<'websocket' | 'polling' | 'webtransport'>;
  socketIoPath: string;
  WebSocketImpl: WebSocketConstructor | undefined;
  backoff: BackoffPolicy;
  random: () => number;
  connectTimeoutMs: number;
  discoveryTimeoutMs: number;
  fetch: FetchLike;
  /** The client token at this attempt, if any (Socket.IO `auth.token`, legacy `token` query parameter). */
  token?: () => string | undefined;
  /** Dead-link detection of the legacy transport. */
  liveness: LivenessOptions;
}

/** Where the controller reports; the public client turns these into events. */
export interface ControllerSink {
  state(state: ClientState): void;
  transport(change: TransportChange): void;
  resync(info: ResyncInfo): void;
  warning(warning: ClientWarning): void;
  /** One event that passed dedupe; `payload.seq` is set. */
  deliver(event: string, payload: Record<string, unknown>, record: ReceivedRecord): void;
  /** A link became active (the outbox may drain). */
  connected(): void;
}

function endOf(error: unknown): LinkEnd {
  return error instanceof LinkEndError ? error.end : linkEnd('TRANSPORT_LOST', String(error));
}

/**
 * The one policy that decides where and when the client connects: discovery,
 * transport switches on the server's stage notices, reconnects with backoff,
 * terminal codes, and dedupe by sequence across all of it. Links report;
 * only this class changes the client's state (STYLE §5).
 *
 * Switches towards Socket.IO are make-before-break (the legacy socket keeps
 * delivering until the namespace join is acknowledged, and dedupe drops the
 * overlap); switches towards legacy follow the server's disconnect.
 */
export class Controller {
  readonly tracker = new SequenceTracker();
  readonly #options: ControllerOptions;
  readonly #sink: ControllerSink;
  #endpoints: Endpoints;
  #state: ClientState = { state: 'connecting' };
  #current: Link | undefined;
  // A link being opened (first connect, reconnect, or the new side of a switch).
  #pending: Link | undefined;
  #lastKind: TransportKind | null = null;
  // The run of the room's sequence the tracker's last seq belongs to (from the last join).
  #epoch: string | undefined;
  // Consecutive failed attempts since the last successful join.
  #attempt = 0;
  // Consecutive failed make-before-break switches from the current link.
  #switchAttempt = 0;
  // A hinted switch goes out at once, but only once per successful join: a ping-pong between refusals backs off.
  #quickSwitchUsed = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  // Bumped on every attempt and on shutdown; a stale attempt's result is dropped.
  #generation = 0;
  #stopped = false;

  constructor(options: ControllerOptions, sink: ControllerSink) {
    this.#options = options;
    this.#sink = sink;
    this.#endpoints = planEndpoints(options.plan, options.socketIoPath);
  }

  get state(): ClientState {
    return this.#state;
  }

  /** The link events come from now (also while a switch away from it is in flight). */
  get current(): Link | undefined {
    return this.#current;
  }

  start(): void {
    if (this.#stopped) return;
    this.#sink.state(this.#state);
    void this.#connect(undefined);
  }

  close(): void {
    if (this.#stopped) return;
    this.#shutdown();
    this.#setState({ state: 'closed' });
  }

  async #connect(hint: TransportKind | undefined): Promise<void> {
    const generation = ++this.#generation;
    const stale = (): boolean => generation !== this.#generation || this.#stopped;
    let kind = hint;
    if (kind === undefined) {
      if (this.#options.transports.length === 1) kind = this.#options.transports[0]!;
      else {
        try {
          const { url, plan, clientId, discoveryTimeoutMs, fetch } = this.#options;
          const found = await discover(fetch, url, plan.service, clientId, discoveryTimeoutMs);
          this.#endpoints = discoveryEndpoints(found);
          kind = found.transport;
        } catch (error) {
          if (!stale()) this.#attemptFailed(endOf(error), undefined);
          return;
        }
        if (stale()) return;
      }
    }
    const since = this.tracker.last(this.#options.room);
    const link = createLink(kind, since, this.#epoch, this.#options, this.#endpoints);
    this.#pending = link;
    let ready: Ready;
    try {
      ready = await link.open();
    } catch (error) {
      if (this.#pending === link) this.#pending = undefined;
      if (!stale()) this.#attemptFailed(endOf(error), kind);
      return;
    }
    if (stale()) {
      link.close();
      return;
    }
    this.#pending = undefined;
    // A stage flip between discovery and a legacy open needs nothing here: the
    // server sends an opted-in session a stage notice when it opens (or
    // attaches) on the Socket.IO side.
    this.#adopt(link, ready, since);
  }

  /** A link joined: make it current, retire the previous one, then let its buffered events through. */
  #adopt(link: Link, ready: Ready, since: number | undefined): void {
    const { room } = this.#options;
    const previous = this.#current;
    this.#current = link;
    this.#attempt = 0;
    this.#switchAttempt = 0;
    this.#quickSwitchUsed = false;
    this.#cancelTimer();
    previous?.close();
    if (this.#lastKind !== link.kind) this.#sink.transport({ from: this.#lastKind, to: link.kind });
    this.#lastKind = link.kind;
    this.#setState({ state: 'connected', transport: link.kind });
    const resumed = ready.resumed === true;
    this.#epoch = ready.epoch;
    if (!resumed && since !== undefined) this.#sink.resync({ room, since, seq: ready.head, transport: link.kind });
    // A snapshot (first join or resync) is the new base: events after its head follow.
    if (!resumed) this.tracker.reset(room, ready.head);
    let flushing = true;
    link.activate({
      incoming: (item) => this.#incoming(link, item, flushing && !resumed ? ready.head : undefined),
      notice: (to) => this.#onNotice(link, to),
      warning: (code, message) => this.#sink.warning({ code, message }),
      end: (end) => this.#onEnd(link, end),
    });
    flushing = false;
    if (this.#current === link) this.#sink.connected();
  }

  /**
   * One event off the current link. During the flush after a non-resumed
   * join, events up to the head are the snapshot: several may share its seq,
   * so they bypass dedupe. Everything else passes the tracker.
   */
  #incoming(link: Link, item: Incoming, snapshotHead: number | undefined): void {
    if (link !== this.#current) return;
    const { room } = this.#options;
    const deliver = (seq: number, snapshot: boolean): void => {
      this.#sink.deliver(item.event, { ...item.payload, seq }, { event: item.event, seq, room, transport: link.kind, snapshot });
    };
    if (snapshotHead !== undefined && (item.seq === undefined || item.seq <= snapshotHead)) return deliver(item.seq ?? snapshotHead, true);
    // Only opening frames are unsequenced; one arriving later cannot be deduplicated, so it passes as it is.
    if (item.seq === undefined) return deliver(this.tracker.last(room) ?? 0, true);
    const verdict = this.tracker.accept(room, item.seq);
    if (verdict === 'duplicate') return;
    if (verdict === 'gap') this.#sink.warning({ code: 'SEQUENCE_GAP', message: `${room}: jumped to seq ${item.seq}` });
    deliver(item.seq, false);
  }

  #onNotice(link: Link, to: TransportKind): void {
    if (link !== this.#current || this.#stopped || to === link.kind || !this.#options.transports.includes(to)) return;
    this.#setState({ state: 'switching', from: link.kind, to, reason: 'STAGE_CHANGED' });
    // Towards legacy the server disconnects us right after the notice; the end carries the hint.
    if (link.kind === 'socketio' || this.#pending) return;
    void this.#connect(to);
  }

  #onEnd(link: Link, end: LinkEnd): void {
    if (link !== this.#current) return;
    this.#current = undefined;
    // A switch is in flight: its outcome decides what happens next.
    if (this.#pending) return;
    this.#recover(end);
  }

  #attemptFailed(end: LinkEnd, target: TransportKind | undefined): void {
    const current = this.#current;
    if (!current) return this.#recover(end);
    // A make-before-break switch failed; the old link still serves the client.
    this.#sink.warning({ code: end.code, message: `switch to ${target ?? 'the other transport'} failed: ${end.message}` });
    this.#setState({ state: 'connected', transport: current.kind });
    // A transient failure (network, a cut) retries the switch with backoff; a refusal pointing back here (the stage moved back) does not.
    if (target === undefined || !end.retry || end.hint === current.kind) return;
    this.#switchAttempt++;
    const delayMs = backoffDelay(this.#switchAttempt, this.#options.backoff, this.#options.random);
    if (delayMs === undefined) return;
    this.#schedule(delayMs, () => {
      if (this.#current !== current || this.#pending) return;
      this.#setState({ state: 'switching', from: current.kind, to: target, reason: end.code });
      void this.#connect(target);
    });
  }

  #recover(end: LinkEnd): void {
    if (this.#stopped) return;
    const hint = end.hint !== undefined && this.#options.transports.includes(end.hint) ? end.hint : undefined;
    if (hint && !this.#quickSwitchUsed) {
      this.#quickSwitchUsed = true;
      this.#setState({ state: 'switching', from: this.#lastKind, to: hint, reason: end.code });
      void this.#connect(hint);
      return;
    }
    if (!end.retry && !hint) return this.#fail(end.code, end.message, end.closeCode);
    this.#attempt++;
    const delayMs = backoffDelay(this.#attempt, this.#options.backoff, this.#options.random);
    if (delayMs === undefined) {
      return this.#fail('RECONNECT_EXHAUSTED', `${this.#options.backoff.maxAttempts} reconnect attempts failed; last: ${end.code}: ${end.message}`, end.closeCode);
    }
    this.#setState({ state: 'reconnecting', attempt: this.#attempt, delayMs, reason: end.code });
    this.#schedule(delayMs, () => void this.#connect(hint));
  }

  /** One timer at a time: a reconnect replaces a pending switch retry. */
  #schedule(delayMs: number, run: () => void): void {
    this.#cancelTimer();
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (!this.#stopped) run();
    }, delayMs);
  }

  #cancelTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #fail(code: FailureCode, message: string, closeCode: number | undefined): void {
    this.#shutdown();
    this.#setState(closeCode === undefined ? { state: 'failed', code, message } : { state: 'failed', code, message, closeCode });
  }

  #shutdown(): void {
    this.#stopped = true;
    this.#generation++;
    this.#cancelTimer();
    this.#current?.close();
    this.#pending?.close();
    this.#current = undefined;
    this.#pending = undefined;
  }

  #setState(next: ClientState): void {
    if (JSON.stringify(next) === JSON.stringify(this.#state)) return;
    this.#state = next;
    this.#sink.state(next);
  }
}
