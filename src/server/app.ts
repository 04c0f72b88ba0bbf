import { createServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { Server as EngineServer } from 'engine.io';
import { pino, type Logger } from 'pino';
import { Server as SocketIoServer } from 'socket.io';
import { WebSocketServer, type WebSocket } from 'ws';
import { loadPlans } from '../adapter/plan-loader.js';
import type { ServicePlan } from '../adapter/plan-schema.js';
import { roomName } from '../adapter/room-name.js';
import { render } from '../adapter/template.js';
import { LegacySession, type LegacyMode } from '../bridge/legacy-session.js';
import { bridgeSocketIo, type AdmitSocket } from '../bridge/socketio-bridge.js';
import { systemClock, type Clock } from '../domain/clock.js';
import { DEFAULT_RETENTION, type EventLog, type RetentionOptions } from '../domain/event-log.js';
import { MemoryEventLog } from '../domain/memory-event-log.js';
import { RoomHub } from '../domain/room-hub.js';
import type { ServiceId } from '../services/ids.js';
import { createServiceModules } from '../services/index.js';
import type { ServiceModule } from '../services/service-module.js';
import { storageLimitsFromEnv, type StorageLimits } from '../services/storage-limits.js';
import { HeartbeatSweep } from '../transport/heartbeat-sweep.js';
import { LegacySocket } from '../transport/legacy-socket.js';
import { DEFAULT_LIMITS, type Limits } from '../transport/limits.js';
import type { FlagSource } from '../flags/flag-source.js';
import { StageController } from '../rollout/stage-controller.js';
import { adminRoutes } from './admin-routes.js';
import { consoleRoutes } from './console-page.js';
import { discoveryRoutes } from './discovery-routes.js';
import { createHttpApp } from './http-app.js';
import { compileRoute, legacyClientIdentity, matchLegacyRoute, type LegacyRoute } from './legacy-routes.js';
import { compileExtraRoutes, matchExtraRoute, type ExtraLegacyRoute } from './extra-legacy-routes.js';
import { Metrics } from './metrics.js';
import { rejectUpgrade } from './reject-upgrade.js';

/** Options of `createSwitchyard`. Every one has a default that serves the README's quick start. */
export interface SwitchyardOptions {
  /** Directory of the seven plan files. Default: the package's `migrations-plan/`. */
  planDir?: string;
  /** Serve only these services (benchmarks, focused tests). Default: all seven. */
  services?: readonly ServiceId[];
  /** Logger; default pino at `info` (JSON). */
  logger?: Logger;
  /** Size and flow limits. Default `DEFAULT_LIMITS`. */
  limits?: Partial<Limits>;
  /** Override a service's heartbeat interval (ms), e.g. short ones in tests. Default: the plan's. */
  heartbeatIntervals?: Partial<Record<ServiceId | 'projects-list', number>>;
  /** Protocol-level ping interval for legacy sockets (uvicorn's 20 s). Default 20000. */
  livenessIntervalMs?: number;
  /** Event history per room. Default 1000 events, 10 minutes. */
  retention?: Partial<RetentionOptions>;
  /** Event log; default in-memory. */
  eventLog?: EventLog;
  clock?: Clock;
  /** Socket.IO engine path. Default `/socket.io/`. */
  socketIoPath?: string;
  /**
   * Decide which side serves a legacy connection. Default: always `legacy`
   * ("dual operation": both front doors serve every service).
   */
  legacyMode?: (service: ServiceId, identity: { clientId?: string; remoteAddress?: string }) => LegacyMode | 'retired';
  /** Refuse Socket.IO clients of a service (throw a SwitchyardError). Default: admit all. */
  admitSocket?: AdmitSocket;
  /**
   * The flag source that decides each service's stage (see `createFlagSource`).
   * When given, stages are enforced and re-applied to live connections on
   * every change, and `legacyMode`/`admitSocket` are ignored. When absent,
   * both front doors serve every service ("dual operation").
   */
  flags?: FlagSource;
  /** Bearer token of the admin API (`/api/admin/*`). Without one the admin API answers 401 to everyone. */
  adminToken?: string;
  /** What producers may make the services store (entities, sizes, idle TTL). Default: the environment over `DEFAULT_STORAGE_LIMITS`. */
  storage?: Partial<StorageLimits>;
}

export interface Switchyard {
  readonly httpServer: HttpServer;
  readonly io: SocketIoServer;
  readonly hub: RoomHub;
  readonly plans: ReadonlyMap<ServiceId, ServicePlan>;
  readonly modules: ReadonlyMap<ServiceId, ServiceModule>;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Stage enforcement, when a flag source was given. */
  readonly stages: StageController | undefined;
  /** Open legacy sessions (read-only view). */
  legacySessions(): Iterable<LegacySession>;
  listen(port?: number, host?: string): Promise<AddressInfo>;
  /** `http://host:port` once listening. */
  readonly url: string;
  readonly ready: boolean;
  /** Graceful stop: no new connections, legacy sockets closed with 1001, Socket.IO clients disconnected. */
  close(): Promise<void>;
}

/** Build a Switchyard (plans loaded and validated; not yet listening). */
export async function createSwitchyard(options: SwitchyardOptions = {}): Promise<Switchyard> {
  const logger = options.logger ?? pino({ level: 'info' });
  const limits: Limits = { ...DEFAULT_LIMITS, ...options.limits };
  const clock = options.clock ?? systemClock;
  const plans = await loadPlans(options.planDir, options.services);
  const retention: RetentionOptions = { ...DEFAULT_RETENTION, ...options.retention };
  // Rooms are released once idle for as long as their history lasts (see RoomHub.releaseIdleRooms).
  const hub = new RoomHub(options.eventLog ?? new MemoryEventLog(retention, clock), { clock, logger, releaseAfterMs: retention.maxAgeMs });
  // Domains read time through the hub, so it can hold one instant for shadow comparisons.
  const storage: StorageLimits = { ...storageLimitsFromEnv(process.env), ...options.storage };
  const modules = createServiceModules({ hub, clock: hub.clock, logger, plans, storage });
  const metrics = new Metrics(hub);
  const sweep = new HeartbeatSweep();
  const sessions = new Set<LegacySession>();
  const routes: LegacyRoute[] = [...plans].map(([id, plan]) => compileRoute(id, plan));
  // Legacy-only endpoints (e.g. /api/projects/stream): always legacy-served, never staged.
  const extraRoutes = compileExtraRoutes(modules, plans, options.heartbeatIntervals);
  const socketIoPath = options.socketIoPath ?? '/socket.io/';

  const engine = new EngineServer({ maxHttpBufferSize: limits.socketIoMaxPayload, cors: { origin: true, credentials: true } });
  const io = new SocketIoServer({
    path: socketIoPath,
    maxHttpBufferSize: limits.socketIoMaxPayload,
    // No connectionStateRecovery: it keeps every broadcast, to any room, for
    // its whole window (memory growing with the event rate), and clients have
    // a better resume: a join with `since` and `epoch`, served from the room's
    // history on both transports.
  });
  io.bind(engine);
  const stages = options.flags
    ? new StageController({
      flags: options.flags, plans, clock, logger, socketIoPath,
      onStageChange: (service, to) => metrics.stageChanges.inc({ service, to }),
      onShadowResult: (service, match) => metrics.shadowComparisons.inc({ service, result: match ? 'match' : 'mismatch' }),
    })
    : undefined;
  const admit: AdmitSocket | undefined = stages ? (service, socket) => stages.admitSocket(service, socket) : options.admitSocket;
  const namespaces = bridgeSocketIo({ io, hub, modules, plans, logger, admit, metrics });
  watchSocketIoRooms(io, plans, hub);
  stages?.bind(() => sessions.values(), namespaces);

  const wss = new WebSocketServer({ noServer: true, maxPayload: limits.legacyMaxPayload, perMessageDeflate: false });
  let listening = false;
  let closing = false;

  const httpApp = createHttpApp({
    plans, modules, metrics, limits,
    isReady: () => listening && !closing,
    flagStatus: () => stages?.flags.status(),
    extend: (router) => {
      discoveryRoutes(router, { plans, stages, socketIoPath });
      if (stages) adminRoutes(router, { stages, plans, token: options.adminToken, logger });
      consoleRoutes(router);
    },
  });
  const koaHandler = httpApp.callback();
  const httpServer = createServer((req, res) => {
    if (req.url?.startsWith(socketIoPath)) engine.handleRequest(req, res);
    else void koaHandler(req, res);
  });

  /**
   * The single 'upgrade' listener (STYLE §2): Socket.IO's path goes to its
   * engine, each legacy path to the shared `ws` server, anything else is
   * refused with 404. engine.io never attaches its own listener, so its
   * destroyUpgrade timer cannot kill legacy sockets.
   */
  httpServer.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    destroyOnError(socket);
    if (closing) return rejectUpgrade(socket, 503, { error: { code: 'SHUTTING_DOWN', message: 'server is shutting down' } });
    const url = new URL(req.url ?? '/', 'http://switchyard.invalid');
    if (url.pathname.startsWith(socketIoPath)) return engine.handleUpgrade(req, socket, head);
    const extra = matchExtraRoute(extraRoutes, url);
    if (extra) return openExtraLegacy(extra.extra, extra.params, req, url, socket, head);
    const found = matchLegacyRoute(routes, url);
    if (!found) return rejectUpgrade(socket, 404, { error: { code: 'NOT_FOUND', message: `no WebSocket endpoint at ${url.pathname}` } });
    void openLegacy(found.route, found.params, req, url, socket, head).catch((error: unknown) => {
      logger.error({ err: error, path: url.pathname }, 'legacy upgrade failed');
      rejectUpgrade(socket, 500, { error: { code: 'INTERNAL', message: 'internal error' } });
    });
  });

  async function openLegacy(route: LegacyRoute, params: Record<string, string>, req: IncomingMessage, url: URL, socket: Duplex, head_: Buffer): Promise<void> {
    const { service, plan } = route;
    const module = modules.get(service)!;
    const identity = legacyClientIdentity(req, url);
    const decided = stages ? stages.decideLegacy(service, identity) : options.legacyMode?.(service, identity) ?? 'legacy';
    const clientId = identity.clientId ?? `${identity.remoteAddress ?? 'unknown'}#${metrics.nextConnectionId()}`;
    const log = logger.child({ service, transport: 'legacy', room: plan.socketio.room, clientId });
    const connection = { params };
    const session = new LegacySession({
      module, plan, hub, connection, clientId, identity, logger: log,
      mode: decided === 'adapter' ? 'adapter' : 'legacy',
      sequenced: url.searchParams.get('switchyard_seq') === '1',
      notices: url.searchParams.get('switchyard_notify') === '1',
      shadowRecorder: stages?.shadow,
    });
    if (stages && decided === 'legacy') session.switchMode('legacy', stages.stageFor(service, identity) === 'shadow');

    if (decided === 'retired') {
      // Accept, explain, close: a browser cannot read a handshake rejection body.
      return wss.handleUpgrade(req, socket, head_, (ws) => {
        ws.send(JSON.stringify({ type: 'error', code: 'SERVICE_RETIRED', message: `${service} moved to Socket.IO`, namespace: plan.socketio.namespace, path: socketIoPath }));
        ws.close(4410, 'SERVICE_RETIRED');
      });
    }
    if (decided === 'legacy') {
      const status = module.legacy.refuse?.(connection);
      if (status !== undefined) return rejectUpgrade(socket, status);
    }
    const since = Number(url.searchParams.get('switchyard_since') ?? Number.NaN);
    const room = roomName(plan, params);
    const epoch = url.searchParams.get('switchyard_epoch') ?? undefined;
    const replay = Number.isInteger(since) && since >= 0 && room ? await hub.replay(room, since, epoch) : undefined;
    // From here to the subscription everything runs in one tick, so the
    // replay (or snapshot) and the live events that follow are contiguous.
    const head = room ? hub.head(room) : 0;
    const resumable = replay !== undefined && room !== undefined && hub.reachesHead(room, since, replay);
    if (resumable && room) {
      session.resume(room, since, replay.events);
      session.notifyResume(true, head, hub.epoch(room));
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
    if (!resumable) session.notifyResume(false, head, room ? hub.epoch(room) : undefined);
    // The stage may have moved between the client's discovery and this open.
    if (decided === 'adapter' && stages) session.notifyStage(stages.stageFor(service, identity), plan.socketio.namespace, socketIoPath);
    if (socket.destroyed) {
      session.close();
      return;
    }
    // ws may still refuse the handshake (bad headers); then no socket ever
    // attaches and the session must not stay subscribed.
    socket.once('close', () => {
      if (!session.attached) session.close();
    });
    wss.handleUpgrade(req, socket, head_, (ws: WebSocket) => attachLegacy(session, ws, service));
  }

  /** A legacy-only endpoint: its hand-written endpoint serves it, whatever the owner's stage. */
  function openExtraLegacy(extra: ExtraLegacyRoute, params: Record<string, string>, req: IncomingMessage, url: URL, socket: Duplex, head_: Buffer): void {
    const { service, plan } = extra.route;
    const identity = legacyClientIdentity(req, url);
    const clientId = identity.clientId ?? `${identity.remoteAddress ?? 'unknown'}#${metrics.nextConnectionId()}`;
    const connection = { params };
    const status = extra.module.legacy.refuse?.(connection);
    if (status !== undefined) return rejectUpgrade(socket, status);
    const session = new LegacySession({
      module: extra.module, plan, hub, connection, clientId, identity, mode: 'legacy',
      logger: logger.child({ service, transport: 'legacy', endpoint: extra.name, clientId }),
    });
    session.openLegacy();
    socket.once('close', () => {
      if (!session.attached) session.close();
    });
    wss.handleUpgrade(req, socket, head_, (ws: WebSocket) => attachLegacy(session, ws, service, extra));
  }

  function attachLegacy(session: LegacySession, ws: WebSocket, service: ServiceId, extra?: ExtraLegacyRoute): void {
    const plan = plans.get(service)!;
    const heartbeatMs = extra ? extra.heartbeatMs : options.heartbeatIntervals?.[service] ?? plan.legacy.heartbeat?.intervalMs;
    const livenessMs = options.livenessIntervalMs ?? 20_000;
    const liveness = { beat: () => legacySocket.livenessPing() };
    const legacySocket = new LegacySocket(ws, limits, {
      onText: (text) => session.receive(text),
      onSlowConsumer: (buffered) => {
        metrics.slowConsumers.inc({ service });
        session.logger.warn({ buffered }, 'closing slow legacy consumer');
      },
      onClose: (code) => {
        session.close();
        sessions.delete(session);
        if (heartbeatMs !== undefined) sweep.remove(heartbeatMs, session);
        sweep.remove(livenessMs, liveness);
        metrics.legacyConnections.dec({ service });
        session.logger.debug({ code }, 'legacy socket closed');
      },
    });
    // `sessions` is what stages switch; a legacy-only endpoint must never be switched.
    if (!extra) {
      sessions.add(session);
      stages?.reconcile(session);
    }
    metrics.legacyConnections.inc({ service });
    session.attach(legacySocket);
    if (heartbeatMs !== undefined) sweep.add(heartbeatMs, session);
    sweep.add(livenessMs, liveness);
  }

  let address: AddressInfo | undefined;
  const switchyard: Switchyard = {
    httpServer, io, hub, plans, modules, logger, metrics, stages,
    legacySessions: () => sessions.values(),
    get url() {
      if (!address) throw new Error('not listening');
      const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      return `http://${host}:${address.port}`;
    },
    get ready() {
      return listening && !closing;
    },
    async listen(port = 8080, host = '127.0.0.1') {
      await new Promise<void>((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, host, () => {
          httpServer.off('error', reject);
          resolve();
        });
      });
      listening = true;
      address = httpServer.address() as AddressInfo;
      return address;
    },
    async close() {
      if (closing) return;
      closing = true;
      const stopped = new Promise<void>((resolve) => httpServer.close(() => resolve()));
      for (const client of wss.clients) client.close(1001, 'server shutting down');
      io.disconnectSockets(true);
      for (const module of modules.values()) module.close?.();
      stages?.close();
      sweep.close();
      engine.close();
      await io.close().catch(() => {});
      // Sockets that do not finish the close handshake in time are cut.
      const deadline = setTimeout(() => {
        for (const client of wss.clients) client.terminate();
        httpServer.closeAllConnections();
      }, 2000);
      await stopped;
      clearTimeout(deadline);
      await hub.close();
      listening = false;
    },
  };
  return switchyard;
}

/**
 * Kept out of the upgrade listener: a closure there would share its context,
 * and hold the request's URL for as long as the socket lives.
 */
function destroyOnError(socket: Duplex): void {
  socket.on('error', () => socket.destroy());
}

/**
 * Socket.IO room members are subscribers the hub does not hold: a room one of
 * them is in is never released, and its idle time starts when the last leaves.
 */
function watchSocketIoRooms(io: SocketIoServer, plans: ReadonlyMap<ServiceId, ServicePlan>, hub: RoomHub): void {
  const adapters = [...new Set([...plans.values()].map((plan) => plan.socketio.namespace))].map((name) => io.of(name).adapter);
  hub.addPresenceProbe((room) => adapters.some((adapter) => (adapter.rooms.get(room)?.size ?? 0) > 0));
  for (const adapter of adapters) adapter.on('leave-room', (room: string) => hub.noteActivity(room));
}
