/**
 * Every error Switchyard can report, declared once. Each code has one identity
 * on all three surfaces: a legacy close code, Socket.IO error data (ack error or
 * `connect_error.data`), and an HTTP status for REST.
 *
 * Close-code rule, documented in the README ("Error codes") and followed by the
 * SDK: 4000–4499 are terminal (reconnecting to the same place will not help),
 * 4500–4999 mean "reconnect", with backoff. 1009/1011/1001 are the standard ones.
 */
export interface ErrorSpec {
  /** Close code used when this error ends a legacy WebSocket. */
  readonly closeCode: number;
  /** HTTP status when it answers a REST request. */
  readonly httpStatus: number;
  /** Whether the message may be shown to clients (Koa's `expose`). */
  readonly expose: boolean;
  /** Whether a client should reconnect (mirrors the close-code range). */
  readonly retry: boolean;
  /** One line for the docs. */
  readonly summary: string;
}

export const ERRORS = {
  INVALID_PAYLOAD: { closeCode: 4400, httpStatus: 400, expose: true, retry: false, summary: 'A request or event payload failed validation.' },
  UNAUTHORIZED: { closeCode: 4401, httpStatus: 401, expose: true, retry: false, summary: 'Missing or wrong bearer token.' },
  NOT_FOUND: { closeCode: 4404, httpStatus: 404, expose: true, retry: false, summary: 'The entity (session, project, execution…) is unknown.' },
  UNKNOWN_SERVICE: { closeCode: 4404, httpStatus: 404, expose: true, retry: false, summary: 'No such service id.' },
  UNKNOWN_EVENT: { closeCode: 4400, httpStatus: 400, expose: true, retry: false, summary: 'The event or frame type is not part of this service.' },
  NOT_JOINED: { closeCode: 4409, httpStatus: 409, expose: true, retry: false, summary: 'The client sent an entity event before joining that entity.' },
  SERVICE_RETIRED: { closeCode: 4410, httpStatus: 410, expose: true, retry: false, summary: 'The legacy endpoint of this service is retired; use its Socket.IO namespace.' },
  PAYLOAD_TOO_LARGE: { closeCode: 1009, httpStatus: 413, expose: true, retry: false, summary: 'A frame, event or body exceeds the documented size limit.' },
  SERVICE_ON_LEGACY: { closeCode: 4503, httpStatus: 503, expose: true, retry: true, summary: 'The service is served on its legacy endpoint for this client; connect there (see data.fallback_url).' },
  SLOW_CONSUMER: { closeCode: 4508, httpStatus: 503, expose: false, retry: true, summary: 'The client did not read fast enough; reconnect and resume by sequence.' },
  STAGE_CHANGED: { closeCode: 4509, httpStatus: 503, expose: true, retry: true, summary: 'The service moved to the other transport; reconnect as data.fallback_url says.' },
  SHUTTING_DOWN: { closeCode: 1001, httpStatus: 503, expose: true, retry: true, summary: 'The server is going away; reconnect with backoff.' },
  INTERNAL: { closeCode: 1011, httpStatus: 500, expose: false, retry: true, summary: 'An unexpected server error.' },
  MALFORMED_REQUEST: { closeCode: 4400, httpStatus: 400, expose: true, retry: false, summary: 'An HTTP request or upgrade whose target cannot be parsed (bad percent-escape, not a path).' },
  FORBIDDEN_ORIGIN: { closeCode: 4403, httpStatus: 403, expose: true, retry: false, summary: 'The request\'s Origin is not in the allowlist.' },
  METHOD_NOT_ALLOWED: { closeCode: 4405, httpStatus: 405, expose: true, retry: false, summary: 'The route exists but not for this HTTP method (the Allow header lists the ones it takes).' },
  UNSUPPORTED_MEDIA_TYPE: { closeCode: 4415, httpStatus: 415, expose: true, retry: false, summary: 'A request body that is not JSON (Content-Type must be application/json).' },
  RATE_LIMITED: { closeCode: 4529, httpStatus: 429, expose: true, retry: true, summary: 'Too many messages or requests per second from this connection, address or producer; slow down (Retry-After says when).' },
  TOO_MANY_CONNECTIONS: { closeCode: 4530, httpStatus: 429, expose: true, retry: true, summary: 'This remote address holds as many connections as it may; retry later with backoff.' },
  CAPACITY_EXCEEDED: { closeCode: 4531, httpStatus: 429, expose: true, retry: true, summary: 'A bounded store is full (live entities per service); retry when some have finished.' },
  STORE_UNAVAILABLE: { closeCode: 4532, httpStatus: 503, expose: true, retry: true, summary: 'Cluster mode: the shared store (Redis) cannot be reached; nothing was accepted, retry with backoff.' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERRORS, value);
}

export class SwitchyardError extends Error {
  readonly code: ErrorCode;
  /** Extra fields for clients, e.g. `fallback_url` (must be JSON-serialisable). */
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SwitchyardError';
    this.code = code;
    this.details = details;
  }

  get spec(): ErrorSpec {
    return ERRORS[this.code];
  }
}
