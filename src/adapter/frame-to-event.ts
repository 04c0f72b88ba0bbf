import { SwitchyardError } from '../errors/catalogue.js';
import type { ServicePlan } from './plan-schema.js';
import { match, type MatchBindings } from './template.js';

/** One decoded Socket.IO event (for a mapping with `each`, one per element). */
export interface DecodedEvent {
  event: string;
  payload: Record<string, unknown>;
}

export type Decoded = { ok: true; events: DecodedEvent[] } | { ok: false; error: SwitchyardError };

/** Control frames the legacy servers send that carry no event (heartbeats, pongs, pings). */
export type ControlKind = 'heartbeat' | 'pong';

/**
 * Decode a legacy server frame into the Socket.IO event it stands for: the
 * SDK's legacy transport and the adapter's table tests use it. Pure.
 *
 * Heartbeat/pong frames decode to `{ ok: true, events: [] }`; the frame the
 * join acknowledgement maps to (e.g. `connection_confirmed`) decodes to the
 * pseudo-event `$join_ack`. A well-formed
 * frame with no mapping row is `UNKNOWN_EVENT`; text that is not JSON is
 * `INVALID_PAYLOAD`.
 */
export function frameToEvent(plan: ServicePlan, raw: string, params: Readonly<Record<string, string>> = {}): Decoded {
  let frame: unknown;
  try {
    frame = JSON.parse(raw);
  } catch {
    return { ok: false, error: new SwitchyardError('INVALID_PAYLOAD', `${plan.service}: frame is not JSON`) };
  }
  return decodeFrame(plan, frame, params);
}

/** `frameToEvent` on a frame already parsed (the SDK parses once to take off its opt-in fields). */
export function decodeFrame(plan: ServicePlan, frame: unknown, params: Readonly<Record<string, string>> = {}): Decoded {
  if (isControlFrame(plan, frame)) return { ok: true, events: [] };
  for (const mapping of plan.events) {
    if (!mapping.decode || mapping.frame === null) continue;
    const bindings: MatchBindings = { payload: {}, items: [] };
    if (!match(mapping.frame, frame, bindings)) continue;
    if (mapping.when && !Object.entries(mapping.when).every(([k, v]) => bindings.payload[k] === v)) continue;
    const fromParams: Record<string, unknown> = {};
    for (const [key, expression] of Object.entries(mapping.params ?? {})) {
      fromParams[key] = params[expression.slice('$params.'.length)] ?? null;
    }
    return { ok: true, events: [{ event: mapping.event, payload: { ...fromParams, ...bindings.payload } }] };
  }
  return { ok: false, error: new SwitchyardError('UNKNOWN_EVENT', `${plan.service}: no mapping for frame`) };
}

/** Decode the join acknowledgement frame(s) (`connection_confirmed` and the like). */
export function isJoinAckFrame(plan: ServicePlan, frame: unknown): boolean {
  return plan.events.some((m) => m.event === '$join_ack' && match(m.frame, frame, { payload: {}, items: [] }));
}

function isControlFrame(plan: ServicePlan, frame: unknown): boolean {
  const probes = [plan.legacy.heartbeat?.frame, plan.legacy.pong].filter((t) => t !== undefined && t !== null);
  return probes.some((t) => match(t, frame, { payload: {}, items: [] }));
}
