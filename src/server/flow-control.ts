import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Server as EngineServer } from 'engine.io';
import type { Logger } from 'pino';
import type { Namespace } from 'socket.io';
import { SwitchyardError } from '../errors/catalogue.js';
import { toHttp } from '../errors/surfaces.js';
import { addressResolver, ConnectionLimiter, type AddressOf } from '../transport/connection-limiter.js';
import type { Limits } from '../transport/limits.js';
import { ProducerRateLimiter } from '../transport/producer-rate-limit.js';
import { guardSocketIo } from '../transport/socketio-guards.js';
import type { Metrics } from './metrics.js';
import type { HostedId } from '../registry/contracts.js';
import { rejectUpgrade } from '../transport/reject-upgrade.js';

export interface FlowControlOptions {
  limits: Limits;
  /** Proxies whose X-Forwarded-For names the client (proxy-addr syntax). Default none: the TCP peer is the client. */
  trustedProxies?: readonly string[];
  metrics: Metrics;
  logger: Logger;
}

/** The server's flow limits, built once and handed to the upgrade listener, the engine and the REST app. */
export interface FlowControl {
  readonly addressOf: AddressOf;
  readonly connections: ConnectionLimiter;
  readonly producers: ProducerRateLimiter;
  /** Count a legacy upgrade against its address; false when refused (429 TOO_MANY_CONNECTIONS already sent). */
  admitUpgrade(req: IncomingMessage, socket: Duplex): boolean;
  /** Install the Socket.IO side's limits. */
  guardSocketIo(engine: EngineServer, namespaces: ReadonlyMap<HostedId, Namespace>): void;
}

export function createFlowControl(options: FlowControlOptions): FlowControl {
  const { limits, metrics, logger } = options;
  const addressOf = addressResolver(options.trustedProxies);
  const connections = new ConnectionLimiter(limits.connectionsPerAddress);
  const producers = new ProducerRateLimiter(limits, addressOf);
  const tooMany = (address: string, transport: string): void => {
    metrics.flowRefusals.inc({ code: 'TOO_MANY_CONNECTIONS', transport });
    logger.warn({ address, transport, limit: limits.connectionsPerAddress }, 'connection refused: too many from this address');
  };
  return {
    addressOf, connections, producers,
    admitUpgrade(req, socket) {
      const address = addressOf(req);
      if (connections.hold(address, socket)) return true;
      tooMany(address, 'legacy');
      const { status, body } = toHttp(new SwitchyardError('TOO_MANY_CONNECTIONS', `more than ${limits.connectionsPerAddress} connections from this address`));
      rejectUpgrade(socket, status, body);
      return false;
    },
    guardSocketIo(engine, namespaces) {
      // The metrics' service label is the service id, not the namespace.
      const serviceOfNamespace = new Map([...namespaces].map(([service, nsp]) => [nsp.name, service]));
      guardSocketIo({
        engine, namespaces: namespaces.values(),
        limits, connections, addressOf,
        events: {
          onTooManyConnections: (address) => tooMany(address, 'socketio'),
          onRateLimited: (_socket, closed) => {
            metrics.flowRefusals.inc({ code: 'RATE_LIMITED', transport: 'socketio' });
            if (closed) logger.warn({ clientId: _socket.id, namespace: _socket.nsp.name }, 'Socket.IO client disconnected for flooding');
          },
          onSlowConsumer: (socket, queuedBytes) => {
            const service = serviceOfNamespace.get(socket.nsp.name);
            if (service) {
              metrics.slowConsumers.inc({ service, transport: 'socketio' });
              metrics.refused(service, 'socketio', 'SLOW_CONSUMER');
            }
            logger.warn({ clientId: socket.id, namespace: socket.nsp.name, queuedBytes }, 'closing slow Socket.IO consumer');
          },
        },
      });
    },
  };
}
