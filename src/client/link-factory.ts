import { joinPayload, legacyUrl, namespaceUrl, type Endpoints } from './endpoints.js';
import { LegacyLink } from './legacy-link.js';
import type { Link } from './link.js';
import { SocketIoLink } from './socketio-link.js';
import type { ControllerOptions } from './controller.js';
import type { TransportKind } from './types.js';

/**
 * The link for one attempt: the Socket.IO namespace joined with `since`, or
 * the legacy URL with the SDK opt-ins and `switchyard_since`.
 */
export function createLink(kind: TransportKind, since: number | undefined, epoch: string | undefined, options: ControllerOptions, endpoints: Endpoints): Link {
  const { url, plan, params, clientId, connectTimeoutMs, socketIoTransports, WebSocketImpl } = options;
  const token = options.token?.() || undefined;
  if (kind === 'socketio') {
    return new SocketIoLink({
      url: namespaceUrl(url, endpoints.namespace), path: endpoints.socketIoPath, clientId, token,
      transports: socketIoTransports, joinEvent: plan.socketio.join.event,
      joinPayload: joinPayload(plan, params, since, epoch), timeoutMs: connectTimeoutMs,
    });
  }
  // connect() refuses a legacy-capable client without a WebSocket implementation.
  return new LegacyLink({
    url: legacyUrl(url, plan, endpoints.legacyPath, params, { clientId, since, epoch, token }),
    WebSocketImpl: WebSocketImpl!, plan, params, timeoutMs: connectTimeoutMs, liveness: options.liveness,
  });
}
