import type { Logger } from 'pino';
import { eventToFrames, renderControlFrame, type FrameContext } from '../adapter/event-to-frame.js';
import { render } from '../adapter/template.js';
import type { ServicePlan } from '../adapter/plan-schema.js';
import type { RoomEvent } from '../domain/event-log.js';
import type { EncodeMemo, RoomHub, RoomSubscriber } from '../domain/room-hub.js';
import { SwitchyardError } from '../errors/catalogue.js';
import { toAckError } from '../errors/surfaces.js';
import type { AckResult, EventClient, LegacyParams, ServiceModule } from '../services/service-module.js';
import type { Beating } from '../transport/heartbeat-sweep.js';
import type { LegacySocket } from '../transport/legacy-socket.js';
import { SharedFrame } from '../transport/shared-frame.js';
import type { FlagContext } from '../flags/flag-source.js';
import type { ShadowRecorder } from '../rollout/shadow-recorder.js';

/**
 * Who serves a legacy connection:
 * - `legacy`:  the hand-written legacy endpoint (`legacy/<service>.ts`);
 * - `adapter`: the Socket.IO handlers, their events turned into frames by the
 *              migration plan's mapping.
 */
export type LegacyMode = 'legacy' | 'adapter';

export interface LegacySessionOptions {
  module: ServiceModule;
  plan: ServicePlan;
  hub: RoomHub;
  connection: LegacyParams;
  mode: LegacyMode;
  clientId: string;
  logger: Logger;
  /** Who the client is, for per-client stages (gradual rollout). */
  identity: FlagContext;
  /**
   * Opt-in (SDK only): append `"seq":N` to every event frame, send events
   * with no legacy frame as `switchyard_event`, and say where the opening
   * snapshot stands (`switchyard_resume`).
   */
  sequenced?: boolean;
  /** Opt-in (SDK only): send `switchyard_stage` frames when the service's stage changes. */
  notices?: boolean;
  /** Shadow bookkeeping; comparisons run only while `shadow` is on. */
  shadowRecorder?: ShadowRecorder;
  /** A room event was written to this client (metrics; `memo` is the publish's, shared by every session it reaches). */
  onDelivered?: (event: RoomEvent, memo: EncodeMemo) => void;
}

/** A throwaway client for shadow openings: collects what the handlers emit, joins nothing. */
class CollectingClient implements EventClient {
  readonly emitted: Array<{ event: string; payload: Record<string, unknown> }> = [];
  readonly rooms: ReadonlySet<string> = new Set();
  constructor(readonly id: string) {}
  emit(event: string, payload: Record<string, unknown>): void {
    this.emitted.push({ event, payload });
  }
  join(): void {}
  leave(): void {}
}

/**
 * One legacy connection's state: its service, parameters, rooms, the last
 * sequence it saw per room and which side serves it. Only its own methods
 * change that state (STYLE §5).
 *
 * Invariant: a room event reaches the socket at most once and in sequence
 * order, whichever mode serves it and however often the mode changes: frames
 * are filtered by `#lastSeq` before encoding.
 */
export class LegacySession implements RoomSubscriber, EventClient, Beating {
  readonly id: string;
  readonly #options: LegacySessionOptions;
  readonly #rooms = new Set<string>();
  readonly #lastSeq = new Map<string, number>();
  // Frames produced before the socket is attached (adapter joins run before accept).
  #pending: string[] = [];
  #socket: LegacySocket | undefined;
  #mode: LegacyMode;
  #shadow = false;
  #closed = false;
  // Which encoding of a room event this connection gets (side + encoding params); see `#encode`.
  #variant: string | undefined;

  constructor(options: LegacySessionOptions) {
    this.#options = options;
    this.id = options.clientId;
    this.#mode = options.mode;
  }

  get mode(): LegacyMode {
    return this.#mode;
  }

  /** Whether a socket is attached (false while the handshake is still being answered). */
  get attached(): boolean {
    return this.#socket !== undefined;
  }

  get service(): ServicePlan['service'] {
    return this.#options.plan.service;
  }

  get identity(): FlagContext {
    return this.#options.identity;
  }

  /** Whether the adapter runs beside the legacy handlers for comparison. */
  get shadow(): boolean {
    return this.#shadow;
  }

  get rooms(): ReadonlySet<string> {
    return this.#rooms;
  }

  get params(): Readonly<Record<string, string>> {
    return this.#options.connection.params;
  }

  get logger(): Logger {
    return this.#options.logger;
  }

  /** The legacy endpoint's own opening: snapshot or waiting frames, then live events. */
  openLegacy(): void {
    const { module, hub, connection } = this.#options;
    const peers = (room: string): number => hub.countMembers(room, (m) => m !== this && m instanceof LegacySession);
    const opening = this.#shadow
      // Both openings in one instant, so their "now" timestamps agree.
      ? hub.atOneInstant(() => {
        const legacyOpening = module.legacy.open(connection, peers);
        this.#shadowOpening(legacyOpening.frames, legacyOpening.rooms.some((room) => peers(room) > 0));
        return legacyOpening;
      })
      : module.legacy.open(connection, peers);
    for (const frame of opening.frames) this.#write(frame, 'event');
    for (const room of opening.rooms) this.join(room);
  }

  /**
   * What the Socket.IO handlers would have sent on this connect, through the
   * adapter, compared with the legacy opening. Nothing from it reaches the client.
   */
  #shadowOpening(legacyFrames: readonly string[], hasPeers: boolean): void {
    const { module, plan, connection, shadowRecorder, hub } = this.#options;
    const handler = module.handlers[plan.socketio.join.event];
    if (!handler || !shadowRecorder) return;
    const client = new CollectingClient(this.id);
    const joinPayload = render({ ...plan.socketio.join.payload }, { payload: {}, params: connection.params }) as Record<string, unknown>;
    const context = { params: connection.params, hasPeers };
    const record = (ack: AckResult): void => {
      const adapterFrames = client.emitted.flatMap((e) => eventToFrames(plan, e.event, e.payload, context));
      if (ack.ok) adapterFrames.push(...eventToFrames(plan, '$join_ack', ack, context));
      shadowRecorder.compare(plan.service, 'open', null, legacyFrames, adapterFrames, hub.clock());
    };
    try {
      const result = handler(client, joinPayload);
      if (result instanceof Promise) void result.then(record, (error: unknown) => record(toAckError(error)));
      else record(result);
    } catch (error) {
      record(toAckError(error));
    }
  }

  /** The adapter's opening: the join event a Socket.IO client would send, built from the legacy URL. */
  async openAdapter(joinPayload: Record<string, unknown>): Promise<AckResult> {
    const { module, plan } = this.#options;
    const handler = module.handlers[plan.socketio.join.event];
    if (!handler) throw new Error(`${plan.service}: no handler for join event ${plan.socketio.join.event}`);
    let ack: AckResult;
    try {
      ack = await handler(this, joinPayload);
    } catch (error) {
      // Handlers throw catalogued errors (an unknown chat session is NOT_FOUND); the
      // caller answers a failed join as the legacy server did, with HTTP 403.
      if (!(error instanceof SwitchyardError)) throw error;
      ack = toAckError(error);
    }
    if (ack.ok) this.#emitFrames('$join_ack', ack);
    return ack;
  }

  /**
   * Resume instead of opening (SDK opt-in `switchyard_since`): subscribe to the
   * room as of `afterSeq` and deliver the missed events, encoded by whichever
   * side serves this connection. The caller checked that `events` reach the
   * room's head, in the same tick, so nothing is missed or repeated.
   */
  resume(room: string, afterSeq: number, events: readonly RoomEvent[]): void {
    this.#rooms.add(room);
    this.#lastSeq.set(room, afterSeq);
    this.#options.hub.subscribe(room, this);
    for (const event of events) this.deliver(event, new Map());
  }

  /**
   * An opted-in client's resume outcome: `resumed: false` means it was sent a
   * fresh snapshot instead; `epoch` goes back with its next `switchyard_since`.
   */
  notifyResume(resumed: boolean, seq: number, epoch: string | undefined): void {
    if (!this.#options.sequenced) return;
    this.#write(JSON.stringify({ type: 'switchyard_resume', resumed, seq, epoch }), 'event');
  }

  /** Attach the open socket and flush what the opening produced. */
  attach(socket: LegacySocket): void {
    this.#socket = socket;
    const pending = this.#pending;
    this.#pending = [];
    for (const frame of pending) socket.send(frame, 'event');
  }

  // --- EventClient (the adapter side) ---------------------------------------

  emit(event: string, payload: Record<string, unknown>): void {
    this.#emitFrames(event, payload);
  }

  join(room: string): void {
    if (this.#rooms.has(room)) return;
    this.#rooms.add(room);
    // Everything up to the current head is covered by the snapshot sent in this tick.
    this.#lastSeq.set(room, this.#options.hub.head(room));
    this.#options.hub.subscribe(room, this);
  }

  leave(room: string): void {
    this.#rooms.delete(room);
    this.#lastSeq.delete(room);
    this.#options.hub.unsubscribe(room, this);
  }

  // --- RoomSubscriber -------------------------------------------------------

  deliver(event: RoomEvent, memo: EncodeMemo): void {
    // Called from inside hub.publish, once per member: a failure here must
    // reach neither the producer nor the other members of the room. Logged,
    // and this client carries on, as the legacy server did when one send failed.
    try {
      this.#deliver(event, memo);
    } catch (error) {
      this.#options.logger.error({ err: error, event: event.event, room: event.room, seq: event.seq }, 'legacy delivery failed');
    }
  }

  #deliver(event: RoomEvent, memo: EncodeMemo): void {
    const last = this.#lastSeq.get(event.room) ?? 0;
    if (event.seq <= last) return;
    this.#lastSeq.set(event.room, event.seq);
    const frames = this.#options.sequenced ? this.#encodeSequenced(event, memo) : this.#encode(event, memo);
    for (const frame of frames) this.#writeShared(frame);
    if (frames.length > 0) this.#options.onDelivered?.(event, memo);
  }

  /** The last sequence delivered for a room (for the switch and resume logic). */
  lastSeq(room: string): number {
    return this.#lastSeq.get(room) ?? 0;
  }

  /**
   * Serve this live connection from the other side from the next event on.
   * No frame is lost or repeated: both sides encode the same room events, and
   * `#lastSeq` filters by sequence whichever side encodes.
   */
  switchMode(mode: LegacyMode, shadow = false): void {
    this.#mode = mode;
    this.#shadow = shadow && mode === 'legacy';
    this.#variant = undefined;
  }

  /**
   * Tell an opted-in client (the SDK) that its service moved, so it can move
   * to Socket.IO. Unmodified legacy clients never opt in and never see this.
   */
  notifyStage(stage: string, namespace: string, path: string): void {
    if (!this.#options.notices) return;
    this.#write(JSON.stringify({ type: 'switchyard_stage', service: this.service, stage, namespace, path }), 'event');
  }

  // --- Heartbeat and client frames ------------------------------------------

  beat(): void {
    const heartbeat = this.#options.plan.legacy.heartbeat;
    if (!heartbeat || !this.#socket) return;
    this.#socket.send(renderControlFrame(heartbeat.frame, this.#frameContext()), 'control');
  }

  /**
   * A client frame. The legacy servers answered only the raw text `ping`;
   * `{"type":"ping"}` and anything else (even malformed JSON) was logged and
   * ignored, so it is here too.
   */
  receive(text: string): void {
    const pong = this.#options.plan.legacy.pong;
    if (text === 'ping' && pong !== null) {
      this.#write(renderControlFrame(pong, this.#frameContext()), 'control');
      return;
    }
    this.#options.logger.debug({ bytes: text.length }, 'legacy client frame ignored');
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const room of [...this.#rooms]) this.leave(room);
  }

  // --- internals -------------------------------------------------------------

  #frameContext(): FrameContext {
    return { params: this.#options.connection.params };
  }

  /**
   * The memo key of this connection's encoding: the side that encodes, and the
   * parameters the service's frames vary by (project-tasks' `session_id`).
   * Connections with the same key get the very same frames.
   */
  #variantKey(): string {
    if (this.#variant === undefined) {
      const varying = this.#options.module.legacy.encodingParams ?? [];
      const side = this.#shadow ? 'shadow' : this.#mode;
      const { params } = this.#options.connection;
      // JSON: parameter values are the client's, and no value may make two variants' keys equal.
      this.#variant = varying.length === 0 ? side : `${side}${JSON.stringify(varying.map((p) => params[p] ?? ''))}`;
    }
    return this.#variant;
  }

  /** The event's frames for this connection, encoded (and framed) once per event and variant, not per socket. */
  #encode(event: RoomEvent, memo: EncodeMemo): readonly SharedFrame[] {
    const { module, plan, connection } = this.#options;
    const key = this.#variantKey();
    let frames = memo.get(key);
    if (!frames) {
      const texts = this.#mode === 'legacy'
        ? module.legacy.encode(event, connection)
        : eventToFrames(plan, event.event, event.payload, this.#frameContext());
      frames = texts.map((text) => new SharedFrame(text));
      memo.set(key, frames);
      // Shadow: one comparison per event and encoding variant, not per socket.
      if (this.#shadow && this.#options.shadowRecorder) {
        const adapterFrames = eventToFrames(plan, event.event, event.payload, this.#frameContext());
        this.#options.shadowRecorder.compare(plan.service, event.event, event.seq, texts, adapterFrames, event.at);
      }
    }
    return frames;
  }

  /**
   * The opted-in (`switchyard_seq`) variant: every frame with `"seq":N`
   * appended. An event the legacy wire has no frame for (a knowledge-items
   * update, chat history without peers) goes out in the Socket.IO shape as
   * `switchyard_event`, so the client's sequence stays contiguous.
   */
  #encodeSequenced(event: RoomEvent, memo: EncodeMemo): readonly SharedFrame[] {
    // Never equal to a plain variant's key: those start with the side's name.
    const key = `seq ${this.#variantKey()}`;
    let frames = memo.get(key);
    if (!frames) {
      const plain = this.#encode(event, memo);
      frames = plain.length === 0
        ? [new SharedFrame(JSON.stringify({ type: 'switchyard_event', event: event.event, payload: event.payload, seq: event.seq }))]
        : plain.map((frame) => new SharedFrame(this.#sequenced(frame.text, event.seq)));
      memo.set(key, frames);
    }
    return frames;
  }

  #emitFrames(event: string, payload: Record<string, unknown>): void {
    const { plan, hub } = this.#options;
    const hasPeers = [...this.#rooms].some((room) => hub.countMembers(room, (m) => m !== this && m instanceof LegacySession) > 0);
    for (const frame of eventToFrames(plan, event, payload, { params: this.#options.connection.params, hasPeers })) {
      this.#write(frame, 'event');
    }
  }

  #sequenced(frame: string, seq: number): string {
    if (!frame.endsWith('}')) return frame;
    return `${frame.slice(0, -1)},"seq":${seq}}`;
  }

  #writeShared(frame: SharedFrame): void {
    if (this.#closed) return;
    if (this.#socket) this.#socket.sendShared(frame, 'event');
    else this.#pending.push(frame.text);
  }

  #write(frame: string, kind: 'event' | 'control'): void {
    if (this.#closed) return;
    if (this.#socket) this.#socket.send(frame, kind);
    else if (kind === 'event') this.#pending.push(frame);
  }
}
