import type { Limits } from './limits.js';

/** What a frame is, for the purpose of backpressure. */
export type FrameKind = 'event' | 'control';

/** What to do with one outgoing frame. */
export type SendDecision = 'send' | 'drop' | 'close';

/**
 * The outbound policy for legacy sockets, as a pure function so it can be
 * tested from a table. Control frames (heartbeats, pings) only prove liveness:
 * when the socket is already backed up they are dropped. Event frames are
 * never dropped (a gap would be a silent loss); past the hard mark the client
 * is closed as a slow consumer and resumes by sequence on reconnect.
 */
export function decideSend(bufferedAmount: number, kind: FrameKind, limits: Pick<Limits, 'legacySoftBuffer' | 'legacyHardBuffer'>): SendDecision {
  if (bufferedAmount >= limits.legacyHardBuffer) return 'close';
  if (kind === 'control' && bufferedAmount >= limits.legacySoftBuffer) return 'drop';
  return 'send';
}
