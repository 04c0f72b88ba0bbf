import { frameToEvent, type DecodedEvent } from '../adapter/frame-to-event.js';
import type { ServicePlan } from '../adapter/plan-schema.js';
import { isErrorCode, type ErrorCode, type SwitchyardError } from '../errors/catalogue.js';

/** What one legacy text frame means to the SDK. */
export type LegacyFrame =
  /** Service events (the Socket.IO names and payloads); `seq` when the server appended one (opt-in `switchyard_seq=1`). */
  | { kind: 'events'; events: DecodedEvent[]; seq: number | undefined }
  /** Heartbeat, pong, or the join acknowledgement frame: nothing to deliver. */
  | { kind: 'control' }
  /** `switchyard_resume`: the replay (resumed) or the fresh snapshot (not resumed) is complete up to `seq`. */
  | { kind: 'resume'; resumed: boolean; seq: number; epoch: string | undefined }
  /** `switchyard_stage` (opt-in `switchyard_notify=1`): the service's stage for this client changed. */
  | { kind: 'stage'; stage: string; namespace: string | undefined; path: string | undefined }
  /** `{"type":"error","code":…}` before a close, e.g. SERVICE_RETIRED with the namespace to use instead. */
  | { kind: 'error'; code: ErrorCode; message: string; namespace: string | undefined; path: string | undefined }
  /** Not JSON, or no mapping row matched. */
  | { kind: 'invalid'; error: SwitchyardError };

function stringField(record: Record<string, unknown>, key: string): string | undefined {
  const value = record[key];
  return typeof value === 'string' ? value : undefined;
}

/** Switchyard's own frames (opt-in notices and the refusal hint); undefined for anything else. */
function readSwitchyardFrame(record: Record<string, unknown>): LegacyFrame | undefined {
  switch (record.type) {
    case 'switchyard_resume':
      if (typeof record.resumed === 'boolean' && typeof record.seq === 'number') return { kind: 'resume', resumed: record.resumed, seq: record.seq, epoch: stringField(record, 'epoch') };
      return undefined;
    case 'switchyard_event':
      // A room event the legacy wire has no frame for, in the Socket.IO shape.
      if (typeof record.event !== 'string' || typeof record.seq !== 'number' || record.payload === null || typeof record.payload !== 'object') return undefined;
      return { kind: 'events', events: [{ event: record.event, payload: record.payload as Record<string, unknown> }], seq: record.seq };
    case 'switchyard_stage': {
      const stage = stringField(record, 'stage');
      return stage === undefined ? undefined : { kind: 'stage', stage, namespace: stringField(record, 'namespace'), path: stringField(record, 'path') };
    }
    case 'error':
      // test-execution has its own `{"type":"error","message","timestamp"}` frames; only a catalogued `code` marks Switchyard's.
      if (!isErrorCode(record.code)) return undefined;
      return { kind: 'error', code: record.code, message: stringField(record, 'message') ?? record.code, namespace: stringField(record, 'namespace'), path: stringField(record, 'path') };
    default:
      return undefined;
  }
}

/**
 * Decode one legacy frame with the service's migration plan. Pure.
 *
 * The opt-in `seq` is a top-level key the server appends to event frames; it
 * is taken off before decoding, because the plan's templates describe the
 * original frames exactly and reject unknown keys.
 */
export function readLegacyFrame(plan: ServicePlan, raw: string, params: Readonly<Record<string, string>>): LegacyFrame {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    parsed = undefined;
  }
  let text = raw;
  let seq: number | undefined;
  if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
    const record = parsed as Record<string, unknown>;
    const own = readSwitchyardFrame(record);
    if (own) return own;
    if (typeof record.seq === 'number') {
      const { seq: found, ...rest } = record;
      seq = found as number;
      text = JSON.stringify(rest);
    }
  }
  const decoded = frameToEvent(plan, text, params);
  if (!decoded.ok) return { kind: 'invalid', error: decoded.error };
  const events = decoded.events.filter((e) => e.event !== '$join_ack');
  return events.length === 0 ? { kind: 'control' } : { kind: 'events', events, seq };
}
