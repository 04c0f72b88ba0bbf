import { isErrorCode } from '../errors/catalogue.js';
import type { Discovery } from '../server/discovery-routes.js';
import { discoveryUrl } from './endpoints.js';
import { LinkEndError, linkEnd } from './link.js';

/** `fetch` as the SDK uses it (the global one in browsers and Node 20). */
export type FetchLike = (input: string, init?: { method?: string; headers?: Record<string, string>; body?: string; signal?: AbortSignal }) => Promise<{
  ok: boolean;
  status: number;
  json(): Promise<unknown>;
}>;

function isDiscovery(value: unknown): value is Discovery {
  if (value === null || typeof value !== 'object') return false;
  const body = value as Record<string, unknown>;
  return (body.transport === 'socketio' || body.transport === 'legacy')
    && typeof body.namespace === 'string' && typeof body.socketIoPath === 'string' && typeof body.legacyPath === 'string';
}

/**
 * Ask `GET /api/switchyard/discover` which transport serves this client now.
 * Rejects with LinkEndError: a catalogued refusal keeps its code (UNKNOWN_SERVICE
 * is terminal); the network, timeouts and 5xx are DISCOVERY_FAILED (retried).
 */
export async function discover(fetchImpl: FetchLike, base: string, service: string, clientId: string, timeoutMs: number): Promise<Discovery> {
  let response: Awaited<ReturnType<FetchLike>>;
  try {
    response = await fetchImpl(discoveryUrl(base, service, clientId), { signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    throw new LinkEndError(linkEnd('DISCOVERY_FAILED', `discovery unreachable: ${String(error)}`));
  }
  const body = await response.json().catch(() => undefined);
  if (response.ok && isDiscovery(body)) return body;
  const error = body !== null && typeof body === 'object' ? (body as { error?: { code?: unknown; message?: unknown } }).error : undefined;
  const message = typeof error?.message === 'string' ? error.message : `discovery answered ${response.status}`;
  if (response.status < 500 && isErrorCode(error?.code)) throw new LinkEndError(linkEnd(error.code, message));
  throw new LinkEndError(linkEnd('DISCOVERY_FAILED', message));
}
