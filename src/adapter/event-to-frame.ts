import type { EventMapping, ServicePlan } from './plan-schema.js';
import { render } from './template.js';

/** What the adapter knows about the legacy connection it encodes for. */
export interface FrameContext {
  /** The connection's legacy URL parameters (path, query and derived defaults). */
  params: Readonly<Record<string, string>>;
  /** Whether other legacy connections share the room (chat replays history only then). */
  hasPeers?: boolean;
}

function matchesWhen(mapping: EventMapping, payload: Readonly<Record<string, unknown>>, context: FrameContext): boolean {
  if (mapping.whenPeers !== undefined && mapping.whenPeers !== (context.hasPeers ?? false)) return false;
  if (!mapping.when) return true;
  return Object.entries(mapping.when).every(([key, expected]) => payload[key] === expected);
}

/** The payload as `$payload` sees it: no `seq`, no keys that come from the connection. */
function spreadable(mapping: EventMapping, payload: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(payload)) {
    if (key === 'seq' || (mapping.params && Object.hasOwn(mapping.params, key))) continue;
    // Defined, not assigned: a "__proto__" key stays data.
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** The first mapping row for this event and payload, or undefined when the legacy side has no such frame. */
export function findMapping(plan: ServicePlan, event: string, payload: Readonly<Record<string, unknown>>, context: FrameContext): EventMapping | undefined {
  return plan.events.find((m) => m.event === event && matchesWhen(m, payload, context));
}

/**
 * Encode one Socket.IO event as the legacy frame(s) the original server sent,
 * as compact JSON in template key order. Pure: no sockets, clocks or flags.
 * Returns [] when the event has no legacy counterpart.
 */
export function eventToFrames(plan: ServicePlan, event: string, payload: Readonly<Record<string, unknown>>, context: FrameContext): string[] {
  const mapping = findMapping(plan, event, payload, context);
  // A `null` frame: the legacy server sent nothing for this event.
  if (!mapping || mapping.frame === null) return [];
  const scope = { payload: spreadable(mapping, payload), params: context.params };
  if (mapping.each === undefined) return [JSON.stringify(render(mapping.frame, scope))];
  const items = payload[mapping.each];
  if (!Array.isArray(items)) return [];
  return items.map((item) => JSON.stringify(render(mapping.frame, { ...scope, item })));
}

/** Render a plan-level template (heartbeat, pong) for one connection. */
export function renderControlFrame(template: Parameters<typeof render>[0], context: FrameContext): string {
  return JSON.stringify(render(template, { payload: {}, params: context.params }));
}
