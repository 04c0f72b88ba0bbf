import { createServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { Server as EngineServer } from 'engine.io';
import { pino, type Logger } from 'pino';
import { Server as SocketIoServer } from 'socket.io';
import { loadPlans } from '../adapter/plan-loader.js';
import type { ServicePlan } from '../adapter/plan-schema.js';
import { LegacySession, type LegacyMode } from '../bridge/legacy-session.js';
import { bridgeSocketIo, type AdmitSocket } from '../bridge/socketio-bridge.js';
import { systemClock, type Clock } from '../domain/clock.js';
import { DEFAULT_RETENTION, type EventLog, type RetentionOptions } from '../domain/event-log.js';
import { MemoryEventLog } from '../domain/memory-event-log.js';
import { RoomHub } from '../domain/room-hub.js';
import type { ClusterOptions } from '../cluster/options.js';
import type { Registry } from 'prom-client';
import type { RedisHealth, StageControl } from '../cluster/stage-control.js';
import { OverrideFlagSource } from '../flags/override-flag-source.js';
import { SwitchyardError } from '../errors/catalogue.js';
import type { HostedId, ServiceId } from '../registry/contracts.js';
import { createServiceModules, type ServerService } from '../registry/services.js';
import type { ServiceModule } from '../services/service-module.js';
import { storageLimitsFromEnv, type StorageLimits } from '../services/storage-limits.js';
import { DEFAULT_LIMITS, type Limits } from '../transport/limits.js';
import type { FlagSource } from '../flags/flag-source.js';
import { StageController } from '../rollout/stage-controller.js';
import { Guard } from '../rollout/guard.js';
import { adminRoutes } from './admin-routes.js';
import { consoleRoutes } from './console-page.js';
import { discoveryRoutes } from './discovery-routes.js';
import { createHttpApp } from './http-app.js';
import { compileRoute, matchLegacyRoute, type LegacyRoute } from './legacy-routes.js';
import { compileExtraRoutes, matchExtraRoute } from './extra-legacy-routes.js';
import { LegacyDoor } from './legacy-door.js';
import { Metrics } from './metrics.js';
import { createFlowControl } from './flow-control.js';
import { ConsoleFeed } from './console-feed.js';
import { ConsoleMetrics } from './console-metrics.js';
import { consoleStreamRoute } from './console-stream.js';
import { refuseUpgrade } from '../transport/reject-upgrade.js';
import { toSwitchyardError } from '../errors/surfaces.js';
import { Access } from '../auth/access.js';
import type { ClientVerifier } from '../auth/verifier.js';
import { adminTokenSet } from './admin-auth.js';
import { answerError } from './answer-error.js';
import { parseRequestTarget } from './request-target.js';
import { checkHandshake } from './upgrade-handshake.js';

/** Options of `createSwitchyard`. Every one has a default that serves the README's quick start. */
export interface SwitchyardOptions {
  /** Directory of the seven plan files. Default: the package's `migrations-plan/`. */
  planDir?: string;
  /** Serve only these of the registry's services (benchmarks, focused tests). Default: all seven. */
  services?: readonly ServiceId[];
  /** Logger; default pino at `info` (JSON). */
  logger?: Logger;
  /** Size and flow limits. Default `DEFAULT_LIMITS`. */
  limits?: Partial<Limits>;
  /** Override a service's heartbeat interval (ms), e.g. short ones in tests. Default: the plan's. */
  heartbeatIntervals?: Partial<Record<HostedId | 'projects-list', number>>;
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
  legacyMode?: (service: HostedId, identity: { clientId?: string; remoteAddress?: string }) => LegacyMode | 'retired';
  /** Refuse Socket.IO clients of a service (throw a SwitchyardError). Default: admit all. */
  admitSocket?: AdmitSocket;
  /**
   * The flag source that decides each service's stage (see `createFlagSource`).
   * When given, stages are enforced and re-applied to live connections on
   * every change, and `legacyMode`/`admitSocket` are ignored. When absent,
   * both front doors serve every service ("dual operation").
   */
  flags?: FlagSource;
  /** Bearer token of the admin API (`/api/admin/*`), acting as `admin`. Without any token the admin API answers 401 to everyone. */
  adminToken?: string;
  /**
   * Proxies (addresses or CIDR ranges, e.g. `10.0.0.0/8`) whose
   * `X-Forwarded-For` names the client, for the per-address limits. Default
   * none: the TCP peer is the client, and the header is ignored.
   */
  trustedProxies?: readonly string[];
  /** Bearer token of the producer API (`/api/producer/*`). Default: the producer API is open. */
  producerToken?: string;
  /**
   * Client authentication on both transports and the client REST routes (see
   * `jwtVerifier`). Default: clients are not authenticated (the legacy backend's behaviour).
   */
  verifyClient?: ClientVerifier;
  /** Cookie that may carry a legacy client's token. Default `switchyard_token`. */
  tokenCookie?: string;
  /** Origins browsers may connect and call from. Default: any. */
  allowedOrigins?: readonly string[];
  /**
   * engine.io heartbeat: a Socket.IO client that hears no ping for
   * intervalMs + timeoutMs drops the connection and reconnects (short ones in
   * tests). Default engine.io's 25000 + 20000.
   */
  socketIoPing?: { intervalMs: number; timeoutMs: number };
  /** More admin tokens, by name (name → token); the name is recorded in the audit trail. */
  adminTokens?: Readonly<Record<string, string>>;
  /**
   * Cluster mode on Redis (see src/cluster/). Default: embedded, everything
   * in this process.
   */
  cluster?: ClusterOptions;
  /** What producers may make the services store (entities, sizes, idle TTL). Default: the environment over `DEFAULT_STORAGE_LIMITS`. */
  storage?: Partial<StorageLimits>;
  /**
   * Services hosted beside the registry's, each a contract and its factory
   * (`serve(contract, create)`, see docs/adding-a-service.md); their plans are
   * their contracts' `plan`. Served, staged, flagged, administered and
   * discovered like the registry's. Default none.
   */
  extraServices?: readonly ServerService[];
  /**
   * Cluster mode: the stages' shared state, already connected (the CLI
   * connects it before the flag source starts, for Unleash's last-known
   * flags); the caller closes it. Default: connected here from `cluster`
   * when that is set, and closed with the server.
   */
  stageControl?: StageControl;
}

export interface Switchyard {
  readonly httpServer: HttpServer;
  readonly io: SocketIoServer;
  readonly hub: RoomHub;
  readonly plans: ReadonlyMap<HostedId, ServicePlan>;
  readonly modules: ReadonlyMap<HostedId, ServiceModule>;
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
  /** Automatic rollback (src/rollout/guard.ts), when stages are enforced through an override layer. */
  readonly guard: Guard | undefined;
  /** The limits in force (`options.limits` over DEFAULT_LIMITS). */
  readonly limits: Readonly<Limits>;
}

/** Build a Switchyard (plans loaded and validated; not yet listening). */
export async function createSwitchyard(options: SwitchyardOptions = {}): Promise<Switchyard> {
  const logger = options.logger ?? pino({ level: 'info' });
  const limits: Limits = { ...DEFAULT_LIMITS, ...options.limits };
  const clock = options.clock ?? systemClock;
  const extraServices = options.extraServices ?? [];
  const plans = await loadPlans(options.planDir, options.services, extraServices.map(({ contract }) => contract));
  const retention: RetentionOptions = { ...DEFAULT_RETENTION, ...options.retention };
  // Cluster mode only: the Redis modules are loaded when a cluster is configured, never in the embedded default.
  const node = options.cluster
    ? await (await import('../cluster/cluster-node.js')).ClusterNode.connect(options.cluster, retention, logger, clock)
    : undefined;
  // Rooms are released once idle for as long as their history lasts (see RoomHub.releaseIdleRooms).
  const hub = new RoomHub(node?.eventLog ?? options.eventLog ?? new MemoryEventLog(retention, clock), { clock, logger, releaseAfterMs: retention.maxAgeMs });
  node?.attach(hub);
  // Domains read time through the hub, so it can hold one instant for shadow comparisons.
  const storage: StorageLimits = { ...storageLimitsFromEnv(process.env), ...options.storage };
  const modules = createServiceModules({ hub, clock: hub.clock, logger, plans, storage, extraServices, store: node });
  await node?.start();
  const metrics = new Metrics(hub, [...plans.keys()], (service) => plans.get(service)!.stage);
  const flow = createFlowControl({ limits, trustedProxies: options.trustedProxies, metrics, logger });
  const routes: LegacyRoute[] = [...plans].map(([id, plan]) => compileRoute(id, plan));
  // Legacy-only endpoints (e.g. /api/projects/stream): always legacy-served, never staged.
  const extraRoutes = compileExtraRoutes(modules, plans, options.heartbeatIntervals);
  const socketIoPath = options.socketIoPath ?? '/socket.io/';

  const access = new Access({ ...options, logger });
  const engine = new EngineServer({
    maxHttpBufferSize: limits.socketIoMaxPayload, ...access.engineOptions(),
    ...(options.socketIoPing ? { pingInterval: options.socketIoPing.intervalMs, pingTimeout: options.socketIoPing.timeoutMs } : {}),
  });
  const io = new SocketIoServer({
    path: socketIoPath,
    maxHttpBufferSize: limits.socketIoMaxPayload,
    // No connectionStateRecovery: it keeps every broadcast, to any room, for
    // its whole window (memory growing with the event rate), and clients have
    // a better resume: a join with `since` and `epoch`, served from the room's
    // history on both transports.
  });
  io.bind(engine);
  // Before the bridge: its stage check must see authenticated clients only.
  const serviceOfNamespace = new Map([...plans.values()].map((plan) => [plan.socketio.namespace, plan.service]));
  access.installSocketIo(io, (namespace, code) => metrics.refused(serviceOfNamespace.get(namespace), 'socketio', code));
  const control = await connectStageControl(options, logger);
  // One view of Redis for /ready, /metrics and the admin API: the data plane's connections and the control plane's.
  const redisHealth = await clusterRedisHealth([node, control], metrics.registry);
  const stages = options.flags
    ? new StageController({
      flags: options.flags, plans, clock, logger, socketIoPath,
      audit: control?.audit, nodeId: options.cluster?.nodeId,
      onShadowResult: (service, match) => metrics.shadowComparisons.inc({ service, result: match ? 'match' : 'mismatch' }),
      onSwitch: (service, direction, seconds) => metrics.switchDuration.observe({ service, direction }, seconds),
    })
    : undefined;
  if (stages) metrics.watchStages(stages);
  const guard = createGuard(plans, stages, metrics, logger);
  const admit: AdmitSocket | undefined = stages ? (service, socket) => stages.admitSocket(service, socket) : options.admitSocket;
  const namespaces = bridgeSocketIo({ io, hub, modules, plans, logger, admit, metrics });
  watchSocketIoRooms(io, plans, hub);
  const door = new LegacyDoor({
    plans, modules, hub, limits, metrics, logger, socketIoPath, stages, legacyMode: options.legacyMode,
    heartbeatIntervals: options.heartbeatIntervals, livenessIntervalMs: options.livenessIntervalMs,
  });
  stages?.bind(() => door.sessions(), namespaces);
  flow.guardSocketIo(engine, namespaces);
  // The console's one sampler, shared by every viewer.
  const consoleFeed = stages
    ? new ConsoleFeed({ stages, plans, legacySessions: () => door.sessions(), metrics: new ConsoleMetrics(metrics.registry) })
    : undefined;

  let listening = false;
  let closing = false;

  const httpApp = createHttpApp({
    plans, modules, metrics, limits, logger, producerLimiter: flow.producers,
    adminTokens: adminTokenSet(options),
    isReady: () => listening && !closing,
    access,
    flagStatus: () => stages?.flags.status(),
    redisHealth,
    extend: (router) => {
      discoveryRoutes(router, { plans, stages, socketIoPath });
      if (stages) adminRoutes(router, { stages, plans, logger, guard, control, redisHealth });
      consoleRoutes(router);
      if (consoleFeed) consoleStreamRoute(router, { feed: consoleFeed });
    },
  });
  const koaHandler = httpApp.callback();
  const httpServer = createServer((req, res) => {
    // Koa's own funnel answers its errors; this guards the parts before it.
    try {
      const parsed = parseRequestTarget(req.url);
      if (!parsed.ok) return answerError(res, new SwitchyardError('MALFORMED_REQUEST', parsed.reason));
      if (parsed.target.url.pathname.startsWith(socketIoPath)) engine.handleRequest(req, res);
      else void koaHandler(req, res);
    } catch (error) {
      logger.error({ err: error, url: req.url }, 'request failed');
      answerError(res, error);
    }
  });

  /**
   * The single 'upgrade' listener (STYLE §2): Socket.IO's path goes to its
   * engine, each legacy path to the shared `ws` server, anything else is
   * refused with 404. engine.io never attaches its own listener, so its
   * destroyUpgrade timer cannot kill legacy sockets.
   */
  httpServer.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    destroyOnError(socket);
    // Nothing a client sends may escape this listener: an exception thrown
    // here would be uncaught and take every connection down with the process.
    try {
      routeUpgrade(req, socket, head);
    } catch (error) {
      upgradeFailed(error, req, socket);
    }
  });

  function routeUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // Every refusal here is counted on the legacy surface, under the service when the path names one.
    const refuse = (service: HostedId | undefined, error: SwitchyardError, headers?: Readonly<Record<string, string>>): void => {
      metrics.refused(service, 'legacy', error.code);
      refuseUpgrade(socket, error, headers);
    };
    if (closing) return refuse(undefined, new SwitchyardError('SHUTTING_DOWN', 'server is shutting down'));
    const parsed = parseRequestTarget(req.url);
    if (!parsed.ok) return refuse(undefined, new SwitchyardError('MALFORMED_REQUEST', parsed.reason));
    const { url } = parsed.target;
    if (url.pathname.startsWith(socketIoPath)) {
      if (access.admitUpgradeOrigin(req, socket)) return engine.handleUpgrade(req, socket, head);
      // Before any namespace is named: no service to count it under.
      return metrics.refused(undefined, 'socketio', 'FORBIDDEN_ORIGIN');
    }
    const extra = matchExtraRoute(extraRoutes, url);
    const found = extra ? undefined : matchLegacyRoute(routes, url);
    if (!extra && !found) return refuse(undefined, new SwitchyardError('NOT_FOUND', `no WebSocket endpoint at ${url.pathname}`));
    const service = extra ? extra.extra.route.service : found!.route.service;
    const refusal = checkHandshake(req);
    if (refusal) return refuse(service, refusal.error, refusal.headers);
    if (!flow.admitUpgrade(req, socket)) return metrics.refused(service, 'legacy', 'TOO_MANY_CONNECTIONS');
    void access.admitUpgrade(req, url, socket).then((verified) => {
      if (verified === null) return metrics.refused(service, 'legacy', access.originAllowed(req) ? 'UNAUTHORIZED' : 'FORBIDDEN_ORIGIN');
      if (extra) return door.openExtra(extra.extra, extra.params, req, url, socket, head, verified);
      return door.open(found!.route, found!.params, req, url, socket, head, verified);
    }).catch((error: unknown) => upgradeFailed(error, req, socket));
  }

  function upgradeFailed(error: unknown, req: IncomingMessage, socket: Duplex): void {
    logger.error({ err: error, url: req.url }, 'legacy upgrade failed');
    metrics.refused(undefined, 'legacy', toSwitchyardError(error).code);
    refuseUpgrade(socket, error);
  }

  let address: AddressInfo | undefined;
  const switchyard: Switchyard = {
    httpServer, io, hub, plans, modules, logger, metrics, stages, guard, limits: Object.freeze({ ...limits }),
    legacySessions: () => door.sessions(),
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
      // First: the connections closing now are the shutdown, not a fault to roll back.
      guard?.close();
      const stopped = new Promise<void>((resolve) => httpServer.close(() => resolve()));
      door.close();
      io.disconnectSockets(true);
      for (const module of modules.values()) module.close?.();
      stages?.close();
      consoleFeed?.close();
      engine.close();
      await io.close().catch(() => {});
      // Sockets that do not finish the close handshake in time are cut.
      const deadline = setTimeout(() => {
        door.terminate();
        httpServer.closeAllConnections();
      }, 2000);
      await stopped;
      clearTimeout(deadline);
      await hub.close();
      if (control && !options.stageControl) await control.close();
      await node?.close();
      listening = false;
    },
  };
  return switchyard;
}

/** The guard watches the services whose plans have a `guard` block; it needs the override layer to roll back through. */
function createGuard(plans: ReadonlyMap<HostedId, ServicePlan>, stages: StageController | undefined, metrics: Metrics, logger: Logger): Guard | undefined {
  const guarded = [...plans.values()].filter((plan) => plan.guard?.enabled).map((plan) => plan.service);
  if (guarded.length === 0) return undefined;
  if (!stages || !(stages.flags instanceof OverrideFlagSource)) {
    logger.warn({ services: guarded }, 'guard configured but stages are not enforced through overrides: no automatic rollback');
    return undefined;
  }
  return new Guard({ plans, stages, overrides: stages.flags, metrics, logger });
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
function watchSocketIoRooms(io: SocketIoServer, plans: ReadonlyMap<HostedId, ServicePlan>, hub: RoomHub): void {
  const adapters = [...new Set([...plans.values()].map((plan) => plan.socketio.namespace))].map((name) => io.of(name).adapter);
  hub.addPresenceProbe((room) => adapters.some((adapter) => (adapter.rooms.get(room)?.size ?? 0) > 0));
  for (const adapter of adapters) adapter.on('leave-room', (room: string) => hub.noteActivity(room));
}

/**
 * Cluster mode's stage control: the caller's, else connected here (Redis
 * loaded only now, so the embedded mode never loads it), attached to the
 * flag source so the stored overrides are in force before the first stage
 * is decided.
 */
async function connectStageControl(options: SwitchyardOptions, logger: Logger): Promise<StageControl | undefined> {
  if (!options.cluster || !(options.flags instanceof OverrideFlagSource)) return undefined;
  let control = options.stageControl;
  if (!control) {
    const { connectControlPlane } = await import('../cluster/control-plane.js');
    control = await connectControlPlane(options.cluster, logger);
  }
  await control.attach(options.flags);
  return control;
}

/**
 * Cluster mode: the merged Redis health of the node's parts, with
 * `switchyard_redis_up` registered from it (Redis helpers loaded only now).
 */
async function clusterRedisHealth(parts: ReadonlyArray<{ health(): RedisHealth } | undefined>, registry: Registry): Promise<(() => RedisHealth) | undefined> {
  const present = parts.filter((part) => part !== undefined);
  if (present.length === 0) return undefined;
  const { mergeRedisHealth, registerRedisUp } = await import('../cluster/redis-health.js');
  const health = mergeRedisHealth(present.map((part) => () => part.health()));
  registerRedisUp(registry, health);
  return health;
}
