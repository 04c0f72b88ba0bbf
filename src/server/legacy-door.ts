import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ServicePlan } from '../adapter/plan-schema.js';
import { roomName } from '../adapter/room-name.js';
import { render } from '../adapter/template.js';
import type { ClientIdentity } from '../auth/verifier.js';
import { LegacySession, type LegacyMode } from '../bridge/legacy-session.js';
import type { RoomHub } from '../domain/room-hub.js';
import { SwitchyardError } from '../errors/catalogue.js';
import { toClose } from '../errors/surfaces.js';
import type { FlagContext } from '../flags/flag-source.js';
import type { HostedId } from '../registry/contracts.js';
import type { StageController } from '../rollout/stage-controller.js';
import type { ServiceModule } from '../services/service-module.js';
import { HeartbeatSweep } from '../transport/heartbeat-sweep.js';
import { LegacySocket } from '../transport/legacy-socket.js';
import type { Limits } from '../transport/limits.js';
import { rejectUpgrade } from '../transport/reject-upgrade.js';
import type { ExtraLegacyRoute } from './extra-legacy-routes.js';
import { legacyClientIdentity, type LegacyRoute } from './legacy-routes.js';
import type { Metrics } from './metrics.js';

/** Marks a publish's encode memo once its legacy delivery latency is observed (a key no encoding uses). */
const LATENCY_MEASURED = '\0latency';

export interface LegacyDoorOptions {
  plans: ReadonlyMap<HostedId, ServicePlan>;
  modules: ReadonlyMap<HostedId, ServiceModule>;
  hub: RoomHub;
  limits: Limits;
  metrics: Metrics;
  logger: Logger;
  socketIoPath: string;
  /** Stage enforcement; without it `legacyMode` (or `legacy`) decides. */
  stages?: StageController;
  legacyMode?: (service: HostedId, identity: FlagContext) => LegacyMode | 'retired';
  heartbeatIntervals?: Partial<Record<string, number>>;
  /** Protocol ping interval (uvicorn's 20 s). */
  livenessIntervalMs?: number;
}

/**
 * The legacy front door's connection lifecycle, after the upgrade router has
 * matched a path and admitted the request: decide which side serves it, open
 * its session (snapshot, replay or adapter join) in one tick with its
 * subscription, complete the WebSocket handshake, attach the socket, run its
 * heartbeats and liveness pings, and tear it all down on close.
 */
export class LegacyDoor {
  readonly #o: LegacyDoorOptions;
  readonly #wss: WebSocketServer;
  readonly #sweep: HeartbeatSweep;
  // Owned here: the staged sessions, which stage changes re-decide (legacy-only endpoints are not among them).
  readonly #sessions = new Set<LegacySession>();

  constructor(options: LegacyDoorOptions) {
    this.#o = options;
    this.#wss = new WebSocketServer({ noServer: true, maxPayload: options.limits.legacyMaxPayload, perMessageDeflate: false });
    this.#sweep = new HeartbeatSweep((error, member) => {
      const log = member instanceof LegacySession ? member.logger : options.logger;
      log.error({ err: error }, 'heartbeat failed');
    });
  }

  /** Open staged sessions (read-only view), for stage changes and the admin API. */
  sessions(): Iterable<LegacySession> {
    return this.#sessions.values();
  }

  /** A staged legacy path: the stage decides who serves it. */
  async open(route: LegacyRoute, params: Record<string, string>, req: IncomingMessage, url: URL, socket: Duplex, head: Buffer, verified?: ClientIdentity): Promise<void> {
    const { hub, stages, metrics, logger, socketIoPath } = this.#o;
    const { service, plan } = route;
    const module = this.#o.modules.get(service)!;
    const identity = legacyClientIdentity(req, url, verified);
    const decided = stages ? stages.decideLegacy(service, identity) : this.#o.legacyMode?.(service, identity) ?? 'legacy';
    const clientId = identity.clientId ?? `${identity.remoteAddress ?? 'unknown'}#${metrics.nextConnectionId()}`;
    const log = logger.child({ service, transport: 'legacy', room: plan.socketio.room, clientId });
    const connection = { params };
    const session = new LegacySession({
      module, plan, hub, connection, clientId, identity, logger: log,
      mode: decided === 'adapter' ? 'adapter' : 'legacy',
      sequenced: url.searchParams.get('switchyard_seq') === '1',
      notices: url.searchParams.get('switchyard_notify') === '1',
      shadowRecorder: stages?.shadow,
      onDelivered: (event, memo) => {
        metrics.delivered(service, 'legacy');
        // Once per event on this transport: the first session the publish reaches measures it for all.
        if (memo.has(LATENCY_MEASURED)) return;
        memo.set(LATENCY_MEASURED, []);
        metrics.observeLatency(service, 'legacy', event, hub.clock());
      },
    });
    if (stages && decided === 'legacy') session.switchMode('legacy', stages.stageFor(service, identity) === 'shadow');

    if (decided === 'retired') {
      // Accept, explain, close: a browser cannot read a handshake rejection body.
      return this.#wss.handleUpgrade(req, socket, head, (ws) => {
        const retired = new SwitchyardError('SERVICE_RETIRED', `${service} moved to Socket.IO`);
        ws.send(JSON.stringify({ type: 'error', code: retired.code, message: retired.message, namespace: plan.socketio.namespace, path: socketIoPath }));
        const { code, reason } = toClose(retired);
        metrics.refused(service, 'legacy', retired.code);
        ws.close(code, reason);
      });
    }
    if (decided === 'legacy') {
      // The legacy endpoint's own refusals (an unknown chat session) are part
      // of its wire: a bare status, as uvicorn answered, not a catalogue body.
      const status = module.legacy.refuse?.(connection);
      if (status !== undefined) return rejectUpgrade(socket, status);
    }
    const since = Number(url.searchParams.get('switchyard_since') ?? Number.NaN);
    const room = roomName(plan, params);
    const epoch = url.searchParams.get('switchyard_epoch') ?? undefined;
    const replay = Number.isInteger(since) && since >= 0 && room ? await hub.replay(room, since, epoch) : undefined;
    // From here to the subscription everything runs in one tick, so the
    // replay (or snapshot) and the live events that follow are contiguous.
    const headSeq = room ? hub.head(room) : 0;
    const resumable = replay !== undefined && room !== undefined && hub.reachesHead(room, since, replay);
    if (replay !== undefined) metrics.resumed(service, 'legacy', resumable);
    if (resumable && room) {
      session.resume(room, since, replay.events);
      session.notifyResume(true, headSeq, hub.epoch(room));
    } else if (decided === 'legacy') {
      session.openLegacy();
    } else {
      const joinPayload = render({ ...plan.socketio.join.payload }, { payload: {}, params }) as Record<string, unknown>;
      const ack = await session.openAdapter(joinPayload);
      if (!ack.ok) {
        session.close();
        // The legacy server closed before accept, which uvicorn turned into 403.
        return rejectUpgrade(socket, 403);
      }
    }
    // An opted-in client always learns where its snapshot stands: resumed, or
    // fresh (first open, or a gap older than the retained history).
    if (!resumable) session.notifyResume(false, headSeq, room ? hub.epoch(room) : undefined);
    // The stage may have moved between the client's discovery and this open.
    if (decided === 'adapter' && stages) session.notifyStage(stages.stageFor(service, identity), plan.socketio.namespace, socketIoPath);
    this.#handshake(session, req, socket, head, service);
  }

  /** A legacy-only endpoint: its hand-written endpoint serves it, whatever the owner's stage. */
  openExtra(extra: ExtraLegacyRoute, params: Record<string, string>, req: IncomingMessage, url: URL, socket: Duplex, head: Buffer, verified?: ClientIdentity): void {
    const { service, plan } = extra.route;
    const identity = legacyClientIdentity(req, url, verified);
    const clientId = identity.clientId ?? `${identity.remoteAddress ?? 'unknown'}#${this.#o.metrics.nextConnectionId()}`;
    const connection = { params };
    const status = extra.module.legacy.refuse?.(connection);
    if (status !== undefined) return rejectUpgrade(socket, status);
    const session = new LegacySession({
      module: extra.module, plan, hub: this.#o.hub, connection, clientId, identity, mode: 'legacy',
      logger: this.#o.logger.child({ service, transport: 'legacy', endpoint: extra.name, clientId }),
    });
    session.openLegacy();
    this.#handshake(session, req, socket, head, service, extra);
  }

  /** Graceful stop: every legacy socket gets the shutdown close; timers stop. */
  close(): void {
    const { code, reason } = toClose(new SwitchyardError('SHUTTING_DOWN', 'server shutting down'));
    for (const client of this.#wss.clients) client.close(code, reason);
    this.#sweep.close();
  }

  /** Cut the sockets that did not finish the close handshake in time. */
  terminate(): void {
    for (const client of this.#wss.clients) client.terminate();
  }

  #handshake(session: LegacySession, req: IncomingMessage, socket: Duplex, head: Buffer, service: HostedId, extra?: ExtraLegacyRoute): void {
    if (socket.destroyed) {
      session.close();
      return;
    }
    // ws may still refuse the handshake (bad headers); then no socket ever
    // attaches and the session must not stay subscribed.
    socket.once('close', () => {
      if (!session.attached) session.close();
    });
    // `socket` is kept for the LegacySocket: room events are written to it directly (LegacySocket.sendShared).
    this.#wss.handleUpgrade(req, socket, head, (ws: WebSocket) => this.#attach(session, ws, socket, service, extra));
  }

  #attach(session: LegacySession, ws: WebSocket, raw: Duplex, service: HostedId, extra?: ExtraLegacyRoute): void {
    const { plans, limits, metrics, stages } = this.#o;
    const plan = plans.get(service)!;
    const heartbeatMs = extra ? extra.heartbeatMs : this.#o.heartbeatIntervals?.[service] ?? plan.legacy.heartbeat?.intervalMs;
    const livenessMs = this.#o.livenessIntervalMs ?? 20_000;
    const liveness = { beat: () => legacySocket.livenessPing() };
    const legacySocket = new LegacySocket(ws, limits, {
      onText: (text) => {
        // A throw here would escape ws's 'message' listener and end the process.
        metrics.received(service, 'legacy');
        try {
          session.receive(text);
        } catch (error) {
          session.logger.error({ err: error }, 'legacy client frame failed');
        }
      },
      onSlowConsumer: (buffered) => {
        metrics.slowConsumers.inc({ service, transport: 'legacy' });
        metrics.refused(service, 'legacy', 'SLOW_CONSUMER');
        session.logger.warn({ buffered }, 'closing slow legacy consumer');
      },
      onRateLimited: (closed) => {
        metrics.flowRefusals.inc({ code: 'RATE_LIMITED', transport: 'legacy' });
        if (closed) session.logger.warn('legacy client closed for flooding');
      },
      onClose: (code) => {
        session.close();
        this.#sessions.delete(session);
        if (heartbeatMs !== undefined) this.#sweep.remove(heartbeatMs, session);
        this.#sweep.remove(livenessMs, liveness);
        metrics.disconnected(service, 'legacy');
        session.logger.debug({ code }, 'legacy socket closed');
      },
    }, raw);
    // Only staged sessions are switched; a legacy-only endpoint never is.
    if (!extra) {
      this.#sessions.add(session);
      stages?.reconcile(session);
    }
    metrics.connected(service, 'legacy');
    session.attach(legacySocket);
    if (heartbeatMs !== undefined) this.#sweep.add(heartbeatMs, session);
    this.#sweep.add(livenessMs, liveness);
  }
}
