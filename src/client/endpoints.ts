import type { ServicePlan } from '../adapter/plan-schema.js';
import { roomName } from '../adapter/room-name.js';
import { render } from '../adapter/template.js';
import type { Discovery } from '../server/discovery-routes.js';

/** Where a service lives on both transports (from discovery, else from the plan). */
export interface Endpoints {
  namespace: string;
  socketIoPath: string;
  legacyPath: string;
}

/** Endpoints as the plan knows them, for switching without asking discovery. */
export function planEndpoints(plan: ServicePlan, socketIoPath: string): Endpoints {
  return { namespace: plan.socketio.namespace, socketIoPath, legacyPath: plan.legacy.path };
}

/** Endpoints as discovery answered them for this client. */
export function discoveryEndpoints(discovery: Discovery): Endpoints {
  return { namespace: discovery.namespace, socketIoPath: discovery.socketIoPath, legacyPath: discovery.legacyPath };
}

/** `GET /api/switchyard/discover?service=&clientId=` on `base`. */
export function discoveryUrl(base: string, service: string, clientId: string): string {
  const url = new URL('/api/switchyard/discover', base);
  url.searchParams.set('service', service);
  url.searchParams.set('clientId', clientId);
  return url.toString();
}

/** The Socket.IO namespace URL (`http(s)://host/ns`); socket.io-client takes the http origin. */
export function namespaceUrl(base: string, namespace: string): string {
  return new URL(namespace, base).toString();
}

/** The SDK's opt-ins on the legacy URL (unmodified legacy clients never send these). */
export interface LegacyOptIns {
  clientId: string;
  /**
   * `switchyard_since`: resume after this seq. Without it the server opens
   * fresh; either way an opted-in client gets `switchyard_resume` with the
   * head its opening is consistent with.
   */
  since: number | undefined;
  /** `switchyard_epoch`: the run of the room's sequence `since` belongs to. */
  epoch?: string | undefined;
  /** `token`: the client credential, when the server authenticates clients. */
  token?: string | undefined;
}

/**
 * The legacy WebSocket URL: `:params` of the path filled from `params`, the
 * plan's query parameters that `params` has, and the SDK opt-ins
 * (`switchyard_seq=1`, `switchyard_notify=1`, `switchyard_since`, `client_id`).
 * Throws when a path parameter is missing.
 */
export function legacyUrl(base: string, plan: ServicePlan, legacyPath: string, params: Readonly<Record<string, string>>, optIns: LegacyOptIns): string {
  const path = legacyPath.replace(/:([A-Za-z0-9_]+)/g, (_match, name: string) => {
    const value = params[name];
    if (value === undefined || value === '') throw new TypeError(`${plan.service}: params.${name} is required for ${legacyPath}`);
    return encodeURIComponent(value);
  });
  const url = new URL(path, base);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  for (const name of plan.legacy.query) {
    const value = params[name];
    if (value !== undefined && value !== '') url.searchParams.set(name, value);
  }
  url.searchParams.set('switchyard_seq', '1');
  url.searchParams.set('switchyard_notify', '1');
  if (optIns.since !== undefined) url.searchParams.set('switchyard_since', String(optIns.since));
  if (optIns.since !== undefined && optIns.epoch !== undefined) url.searchParams.set('switchyard_epoch', optIns.epoch);
  url.searchParams.set('client_id', optIns.clientId);
  if (optIns.token) url.searchParams.set('token', optIns.token);
  return url.toString();
}

/** The join payload a Socket.IO client sends, from the plan's template, plus `since` (and its `epoch`) when resuming. */
export function joinPayload(plan: ServicePlan, params: Readonly<Record<string, string>>, since: number | undefined, epoch?: string): Record<string, unknown> {
  const payload = render({ ...plan.socketio.join.payload }, { payload: {}, params }) as Record<string, unknown>;
  if (since === undefined) return payload;
  return epoch === undefined ? { ...payload, since } : { ...payload, since, epoch };
}

/** The room the client's events belong to (its dedupe key); throws when a placeholder has no value. */
export function clientRoom(plan: ServicePlan, params: Readonly<Record<string, string>>): string {
  const room = roomName(plan, params);
  if (room === undefined) {
    const names = [...plan.socketio.room.matchAll(/\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]);
    throw new TypeError(`${plan.service}: params must provide ${names.join(', ')}`);
  }
  return room;
}
