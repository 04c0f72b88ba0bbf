import type { Logger } from 'pino';
import type { Namespace, Server, Socket } from 'socket.io';
import type { ServicePlan } from '../adapter/plan-schema.js';
import type { RoomHub } from '../domain/room-hub.js';
import { SwitchyardError, type ErrorCode } from '../errors/catalogue.js';
import { toAckError, toConnectError, type AckError } from '../errors/surfaces.js';
import type { HostedId } from '../registry/contracts.js';
import type { AckResult, EventClient, EventHandler, ServiceModule } from '../services/service-module.js';
import { roomName } from '../adapter/room-name.js';
import type { Metrics } from '../server/metrics.js';
import { coalesceFlushes } from '../transport/socketio-coalescing.js';

/** Decides whether a Socket.IO client may use a service now; throws a SwitchyardError to refuse. */
export type AdmitSocket = (service: HostedId, socket: Socket) => void;

/** Wraps a client during a resumed join: the handler's snapshot emits are swallowed. */
class SwallowingClient implements EventClient {
  constructor(readonly inner: EventClient) {}
  get id(): string {
    return this.inner.id;
  }
  get rooms(): ReadonlySet<string> {
    return this.inner.rooms;
  }
  emit(): void {}
  join(room: string): void {
    this.inner.join(room);
  }
  leave(room: string): void {
    this.inner.leave(room);
  }
}

/**
 * A join that carries `since` resumes: when the retained history covers
 * everything after `since` (and `epoch` names this run of the room's
 * sequence), the client gets exactly the missed events instead of the
 * snapshot; otherwise the handler's snapshot goes out as usual and the ack
 * says `resumed: false`, so there is never a silent gap. Every successful
 * join's ack carries the room's `epoch` for the next resume.
 *
 * Join handlers are synchronous, so the history check, the handler's room
 * join and the replay all happen in one tick: no live event can slip between.
 */
async function joinWithResume(hub: RoomHub, plan: ServicePlan, client: EventClient, handler: EventHandler, payload: unknown, metrics?: Metrics): Promise<AckResult> {
  const fields = typeof payload === 'object' && payload !== null ? (payload as Record<string, unknown>) : undefined;
  // `epoch` is the bridge's business; the services' join schemas are strict and never see it.
  const { epoch, ...rest } = fields ?? {};
  const forHandler = fields && Object.hasOwn(fields, 'epoch') ? rest : payload;
  const stamped = (ack: AckResult): AckResult => (ack.ok && typeof ack.room === 'string' ? { ...ack, epoch: hub.epoch(ack.room) } : ack);
  const since = fields?.since;
  if (typeof since !== 'number' || !Number.isInteger(since) || since < 0) return stamped(await handler(client, forHandler));
  const room = roomName(plan, rest);
  if (!room) return stamped(await handler(client, forHandler));
  const replay = await hub.replay(room, since, typeof epoch === 'string' ? epoch : undefined);
  if (!hub.reachesHead(room, since, replay)) {
    metrics?.resumed(plan.service, 'socketio', false);
    const ack = await handler(client, forHandler);
    return ack.ok ? stamped({ ...ack, resumed: false }) : ack;
  }
  // Called without await: the replay must follow the room join in this tick.
  const result = handler(new SwallowingClient(client), forHandler);
  if (result instanceof Promise) throw new Error(`${plan.service}: join handlers must be synchronous for resume`);
  if (!result.ok) return result;
  metrics?.resumed(plan.service, 'socketio', true);
  for (const event of replay.events) client.emit(event.event, { ...event.payload, seq: event.seq });
  metrics?.delivered(plan.service, 'socketio', replay.events.length);
  return stamped({ ...result, resumed: true, replayed: replay.events.length });
}

/** The Socket.IO side of one client: the EventClient the service handlers see. */
class SocketIoClient implements EventClient {
  readonly #socket: Socket;
  constructor(socket: Socket) {
    this.#socket = socket;
  }
  get id(): string {
    return this.#socket.id;
  }
  get rooms(): ReadonlySet<string> {
    return this.#socket.rooms;
  }
  emit(event: string, payload: Record<string, unknown>): void {
    this.#socket.emit(event, payload);
  }
  join(room: string): void {
    void this.#socket.join(room);
  }
  leave(room: string): void {
    void this.#socket.leave(room);
  }
}

export interface SocketIoBridgeOptions {
  io: Server;
  hub: RoomHub;
  modules: ReadonlyMap<HostedId, ServiceModule>;
  plans: ReadonlyMap<HostedId, ServicePlan>;
  logger: Logger;
  admit?: AdmitSocket;
  metrics?: Metrics;
}

/**
 * Wires each service's handlers to its namespace, and the hub's room events to
 * Socket.IO rooms. Every room event is encoded once per room by Socket.IO's
 * broadcast, not once per socket.
 */
export function bridgeSocketIo(options: SocketIoBridgeOptions): Map<HostedId, Namespace> {
  const { io, hub, modules, plans, logger, metrics } = options;
  const namespaces = new Map<HostedId, Namespace>();

  for (const [service, module] of modules) {
    const plan = plans.get(service)!;
    const nsp = io.of(plan.socketio.namespace);
    namespaces.set(service, nsp);

    nsp.use((socket, next) => {
      try {
        options.admit?.(service, socket);
        next();
      } catch (error) {
        const refusal = toConnectError(error);
        metrics?.refused(service, 'socketio', refusal.data.code as ErrorCode);
        next(refusal);
      }
    });

    nsp.on('connection', (socket) => {
      // Checked again here, not only in middleware: should connection-state
      // recovery ever be enabled, a recovered session skips middleware.
      try {
        options.admit?.(service, socket);
      } catch (error) {
        const refusal = toConnectError(error);
        metrics?.refused(service, 'socketio', refusal.data.code as ErrorCode);
        socket.emit('switchyard:refused', refusal.data);
        socket.disconnect(true);
        return;
      }
      const log = logger.child({ service, transport: 'socketio', clientId: socket.id });
      coalesceFlushes(socket);
      const client = new SocketIoClient(socket);
      for (const [event, handler] of Object.entries(module.handlers)) {
        const isJoin = event === plan.socketio.join.event;
        socket.on(event, (...args: unknown[]) => {
          const ack = typeof args.at(-1) === 'function' ? (args.pop() as (result: AckResult) => void) : undefined;
          Promise.resolve()
            .then(() => (isJoin ? joinWithResume(hub, plan, client, handler, args[0], metrics) : handler(client, args[0])))
            .catch((error: unknown) => {
              if (!(error instanceof SwitchyardError)) log.error({ err: error, event }, 'handler failed');
              return toAckError(error);
            })
            .then((result) => {
              // Thrown or answered, a failed request is counted by its code.
              if (!result.ok) metrics?.refused(service, 'socketio', (result as AckError).error.code);
              ack?.(result);
            });
        });
      }
      socket.onAny((event: string, ...args: unknown[]) => {
        metrics?.received(service, 'socketio');
        // Own keys only: `in` would take `toString`, `constructor`… for handlers
        // (inherited from Object.prototype) and never answer their acks.
        if (Object.hasOwn(module.handlers, event)) return;
        const ack = args.at(-1);
        metrics?.refused(service, 'socketio', 'UNKNOWN_EVENT');
        if (typeof ack === 'function') ack(toAckError(new SwitchyardError('UNKNOWN_EVENT', `${service}: unknown event "${event}"`)));
      });
      log.debug('connected');
      metrics?.connected(service, 'socketio');
      socket.on('disconnect', (reason) => {
        metrics?.disconnected(service, 'socketio');
        log.debug({ reason }, 'disconnected');
      });
    });
  }

  // A room with no Socket.IO member (a service on its legacy stage, a crawl
  // watched only by legacy clients) costs nothing: no payload copy, no encode.
  // Not if connection-state recovery is on (app.ts leaves it off): a socket
  // inside its recovery window has left every room but expects the adapter to
  // have kept the packet for its replay, and skipping would be a silent gap.
  const recovery = Boolean(io._opts.connectionStateRecovery);
  hub.onBroadcast((service, event) => {
    const nsp = namespaces.get(service);
    if (!nsp) return;
    const members = nsp.adapter.rooms.get(event.room)?.size ?? 0;
    if (!recovery && members === 0) return;
    // `local`: every node of a cluster applies every event and emits it to its own sockets; a
    // cross-node adapter (if one is installed for io-level operations) must not relay it again.
    nsp.local.to(event.room).emit(event.event, { ...event.payload, seq: event.seq });
    if (members === 0 || !metrics) return;
    // Once per event on this transport: the broadcast wrote it to every member in this call.
    metrics.delivered(service, 'socketio', members);
    metrics.observeLatency(service, 'socketio', event, hub.clock());
  });
  return namespaces;
}
