import { decodeFrame, type DecodedEvent } from '../adapter/frame-to-event.js';
import type { ServicePlan } from '../adapter/plan-schema.js';
import { SwitchyardError, isErrorCode, type ErrorCode } from '../errors/catalogue.js';
import { record, stringField } from './records.js';

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

/** Switchyard's own frames (opt-in notices and the refusal hint); undefined for anything else. */
function readSwitchyardFrame(fields: Record<string, unknown>): LegacyFrame | undefined {
  switch (fields.type) {
    case 'switchyard_resume':
      if (typeof fields.resumed === 'boolean' && typeof fields.seq === 'number') return { kind: 'resume', resumed: fields.resumed, seq: fields.seq, epoch: stringField(fields, 'epoch') };
      return undefined;
    case 'switchyard_event': {
      // A room event the legacy wire has no frame for, in the Socket.IO shape.
      const payload = record(fields.payload);
      if (typeof fields.event !== 'string' || typeof fields.seq !== 'number' || !payload) return undefined;
      return { kind: 'events', events: [{ event: fields.event, payload }], seq: fields.seq };
    }
    case 'switchyard_stage': {
      const stage = stringField(fields, 'stage');
      return stage === undefined ? undefined : { kind: 'stage', stage, namespace: stringField(fields, 'namespace'), path: stringField(fields, 'path') };
    }
    case 'error':
      // test-execution has its own `{"type":"error","message","timestamp"}` frames; only a catalogued `code` marks Switchyard's.
      if (!isErrorCode(fields.code)) return undefined;
      return { kind: 'error', code: fields.code, message: stringField(fields, 'message') ?? fields.code, namespace: stringField(fields, 'namespace'), path: stringField(fields, 'path') };
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
    return { kind: 'invalid', error: new SwitchyardError('INVALID_PAYLOAD', `${plan.service}: frame is not JSON`) };
  }
  let frame = parsed;
  let seq: number | undefined;
  const fields = record(parsed);
  if (fields) {
    const own = readSwitchyardFrame(fields);
    if (own) return own;
    if (typeof fields.seq === 'number') {
      const { seq: found, ...rest } = fields;
      seq = found as number;
      frame = rest;
    }
  }
  const decoded = decodeFrame(plan, frame, params);
  if (!decoded.ok) return { kind: 'invalid', error: decoded.error };
  const events = decoded.events.filter((e) => e.event !== '$join_ack');
  return events.length === 0 ? { kind: 'control' } : { kind: 'events', events, seq };
}
