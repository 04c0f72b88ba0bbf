import { joinPayload, legacyUrl, namespaceUrl, type Endpoints } from './endpoints.js';
import { LegacyLink } from './legacy-link.js';
import type { Link } from './link.js';
import { SocketIoLink } from './socketio-link.js';
import type { ControllerOptions } from './controller.js';
import type { TransportKind } from './types.js';

/**
 * Sent as `switchyard_since` on a first legacy connect. A sequence ahead of
 * the room's head gets the normal opening snapshot followed by
 * `switchyard_resume {resumed:false, seq: head}` (RoomHub.replay: "ahead of
 * this server"), which is the only way a legacy client learns the head its
 * snapshot is consistent with. Not a resync: the client had nothing before.
 */
const FRESH_SINCE = Number.MAX_SAFE_INTEGER;

/**
 * The link for one attempt: the Socket.IO namespace joined with `since`, or
 * the legacy URL with the SDK opt-ins and `switchyard_since`.
 */
export function createLink(kind: TransportKind, since: number | undefined, options: ControllerOptions, endpoints: Endpoints): Link {
  const { url, plan, params, clientId, connectTimeoutMs, socketIoTransports, WebSocketImpl } = options;
  if (kind === 'socketio') {
    return new SocketIoLink({
      url: namespaceUrl(url, endpoints.namespace), path: endpoints.socketIoPath, clientId,
      transports: socketIoTransports, joinEvent: plan.socketio.join.event,
      joinPayload: joinPayload(plan, params, since), timeoutMs: connectTimeoutMs,
    });
  }
  // connect() refuses a legacy-capable client without a WebSocket implementation.
  return new LegacyLink({
    url: legacyUrl(url, plan, endpoints.legacyPath, params, { clientId, since: since ?? FRESH_SINCE }),
    WebSocketImpl: WebSocketImpl!, plan, params, timeoutMs: connectTimeoutMs,
  });
}
