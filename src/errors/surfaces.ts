import { ERRORS, SwitchyardError, type ErrorCode } from './catalogue.js';

/** The ack answer of a failed Socket.IO request. */
export interface AckError {
  ok: false;
  error: { code: ErrorCode; message: string } & Record<string, unknown>;
}

/** Normalises anything thrown into a catalogued error (unknown throws become INTERNAL). */
export function toSwitchyardError(error: unknown): SwitchyardError {
  if (error instanceof SwitchyardError) return error;
  return new SwitchyardError('INTERNAL', 'Internal error', undefined, { cause: error });
}

function publicMessage(error: SwitchyardError): string {
  return ERRORS[error.code].expose ? error.message : error.code.toLowerCase().replaceAll('_', ' ');
}

/** Socket.IO ack surface: `{ ok: false, error: { code, message, ...details } }`. */
export function toAckError(error: unknown): AckError {
  const e = toSwitchyardError(error);
  return { ok: false, error: { code: e.code, message: publicMessage(e), ...e.details } };
}

/** Socket.IO `connect_error` surface: an Error whose `data` carries `{ code, ...details }`. */
export function toConnectError(error: unknown): Error & { data: Record<string, unknown> } {
  const e = toSwitchyardError(error);
  const out = new Error(publicMessage(e)) as Error & { data: Record<string, unknown> };
  out.data = { code: e.code, ...e.details };
  return out;
}

/** Legacy close surface. ws refuses reasons over 123 bytes, so the reason is cut to fit. */
export function toClose(error: unknown): { code: number; reason: string } {
  const e = toSwitchyardError(error);
  let reason = `${e.code}: ${publicMessage(e)}`;
  while (Buffer.byteLength(reason) > 123) reason = reason.slice(0, -1);
  return { code: ERRORS[e.code].closeCode, reason };
}

/** REST surface: status and JSON body. */
export function toHttp(error: unknown): { status: number; body: { error: { code: ErrorCode; message: string } & Record<string, unknown> } } {
  const e = toSwitchyardError(error);
  return { status: ERRORS[e.code].httpStatus, body: { error: { code: e.code, message: publicMessage(e), ...e.details } } };
}
