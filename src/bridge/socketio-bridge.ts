import type { Logger } from 'pino';
import type { Namespace, Server, Socket } from 'socket.io';
import type { ServicePlan } from '../adapter/plan-schema.js';
import type { RoomHub } from '../domain/room-hub.js';
import { SwitchyardError } from '../errors/catalogue.js';
import { toAckError, toConnectError } from '../errors/surfaces.js';
import type { ServiceId } from '../services/ids.js';
import type { AckResult, EventClient, ServiceModule } from '../services/service-module.js';
import type { Metrics } from '../server/metrics.js';

/** Decides whether a Socket.IO client may use a service now; throws a SwitchyardError to refuse. */
export type AdmitSocket = (service: ServiceId, socket: Socket) => void;

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
  modules: ReadonlyMap<ServiceId, ServiceModule>;
  plans: ReadonlyMap<ServiceId, ServicePlan>;
  logger: Logger;
  admit?: AdmitSocket;
  metrics?: Metrics;
}

/**
 * Wires each service's handlers to its namespace, and the hub's room events to
 * Socket.IO rooms. Every room event is encoded once per room by Socket.IO's
 * broadcast, not once per socket.
 */
export function bridgeSocketIo(options: SocketIoBridgeOptions): Map<ServiceId, Namespace> {
  const { io, hub, modules, plans, logger } = options;
  const namespaces = new Map<ServiceId, Namespace>();

  for (const [service, module] of modules) {
    const plan = plans.get(service)!;
    const nsp = io.of(plan.socketio.namespace);
    namespaces.set(service, nsp);

    nsp.use((socket, next) => {
      try {
        options.admit?.(service, socket);
        next();
      } catch (error) {
        next(toConnectError(error));
      }
    });

    nsp.on('connection', (socket) => {
      // Connection-state recovery skips middleware by default; we turned that
      // off, and check again here so a recovered session cannot bypass a stage.
      try {
        options.admit?.(service, socket);
      } catch (error) {
        const refusal = toConnectError(error);
        socket.emit('switchyard:refused', refusal.data);
        socket.disconnect(true);
        return;
      }
      const log = logger.child({ service, transport: 'socketio', clientId: socket.id });
      const client = new SocketIoClient(socket);
      for (const [event, handler] of Object.entries(module.handlers)) {
        socket.on(event, (...args: unknown[]) => {
          const ack = typeof args.at(-1) === 'function' ? (args.pop() as (result: AckResult) => void) : undefined;
          Promise.resolve()
            .then(() => handler(client, args[0]))
            .catch((error: unknown) => {
              if (!(error instanceof SwitchyardError)) log.error({ err: error, event }, 'handler failed');
              return toAckError(error);
            })
            .then((result) => ack?.(result));
        });
      }
      socket.onAny((event: string, ...args: unknown[]) => {
        if (event in module.handlers) return;
        const ack = args.at(-1);
        if (typeof ack === 'function') ack(toAckError(new SwitchyardError('UNKNOWN_EVENT', `${service}: unknown event "${event}"`)));
      });
      log.debug('connected');
      options.metrics?.socketIoConnections.inc({ service });
      socket.on('disconnect', (reason) => {
        options.metrics?.socketIoConnections.dec({ service });
        log.debug({ reason }, 'disconnected');
      });
    });
  }

  hub.onBroadcast((service, event) => {
    const nsp = namespaces.get(service);
    nsp?.to(event.room).emit(event.event, { ...event.payload, seq: event.seq });
  });
  return namespaces;
}
