import { ERRORS, isErrorCode, type ErrorCode } from '../errors/catalogue.js';

/**
 * Failures the SDK detects itself, where no server code exists. Same shape of
 * decision as the server catalogue (`retry`), so the reconnect policy reads
 * one table for both (STYLE §6).
 */
export const CLIENT_ERRORS = {
  TRANSPORT_LOST: { retry: true, summary: 'The connection dropped without a catalogued reason (network, server restart, a plain server-side disconnect).' },
  CONNECT_TIMEOUT: { retry: true, summary: 'The transport did not open and join its room within `connectTimeoutMs`.' },
  DISCOVERY_FAILED: { retry: true, summary: 'The discovery endpoint could not be reached or answered a server error.' },
  CONNECTION_REFUSED: { retry: false, summary: 'The server closed with an uncatalogued terminal close code (4000–4499).' },
  RECONNECT_EXHAUSTED: { retry: false, summary: '`backoff.maxAttempts` consecutive attempts failed.' },
  OUTBOX_FULL: { retry: false, summary: 'A send was refused because `outboxLimit` messages are already waiting.' },
  CLIENT_CLOSED: { retry: false, summary: '`close()` was called; pending sends are rejected.' },
  FRAME_UNDECODABLE: { retry: true, summary: 'Warning: a legacy frame matched no row of the migration plan and was skipped.' },
  SEQUENCE_GAP: { retry: true, summary: 'Warning: a live event skipped sequence numbers (should never happen; the server guarantees contiguity).' },
} as const satisfies Record<string, { retry: boolean; summary: string }>;

export type ClientErrorCode = keyof typeof CLIENT_ERRORS;

/** Every code the SDK reports: a server catalogue code or one of its own. */
export type FailureCode = ErrorCode | ClientErrorCode;

/** Whether `value` is a code of either catalogue. */
export function isFailureCode(value: unknown): value is FailureCode {
  return isErrorCode(value) || (typeof value === 'string' && Object.hasOwn(CLIENT_ERRORS, value));
}

/** Whether reconnecting can help after this code. */
export function isRetryable(code: FailureCode): boolean {
  return isErrorCode(code) ? ERRORS[code].retry : CLIENT_ERRORS[code].retry;
}

/** An error the SDK hands to callers (rejected sends, `failed` states). */
export class SwitchyardClientError extends Error {
  readonly code: FailureCode;
  /** The WebSocket close code, when the failure came from one. */
  readonly closeCode: number | undefined;

  constructor(code: FailureCode, message: string, options?: { closeCode?: number; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SwitchyardClientError';
    this.code = code;
    this.closeCode = options?.closeCode;
  }
}

// First catalogue code per close code (4404 is both NOT_FOUND and UNKNOWN_SERVICE; either is terminal).
const BY_CLOSE_CODE = new Map<number, ErrorCode>();
for (const [code, spec] of Object.entries(ERRORS) as Array<[ErrorCode, (typeof ERRORS)[ErrorCode]]>) {
  if (!BY_CLOSE_CODE.has(spec.closeCode)) BY_CLOSE_CODE.set(spec.closeCode, code);
}

/**
 * What a legacy close code means for reconnecting, by the catalogue's rule
 * (`src/errors/catalogue.ts`): a catalogued code keeps its own `retry` flag
 * (1001/1011 retry, 1009 terminal, 4410 terminal, 4503/4508/4509 retry); any
 * other 4000–4499 is terminal, 4500–4999 reconnects; everything else (1000,
 * 1005, 1006: the network or a restart) reconnects.
 */
export function classifyClose(closeCode: number): { code: FailureCode; retry: boolean } {
  const known = BY_CLOSE_CODE.get(closeCode);
  if (known) return { code: known, retry: ERRORS[known].retry };
  if (closeCode >= 4000 && closeCode <= 4499) return { code: 'CONNECTION_REFUSED', retry: false };
  return { code: 'TRANSPORT_LOST', retry: true };
}
