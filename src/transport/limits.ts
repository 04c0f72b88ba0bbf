/**
 * Size and flow limits, in one place (documented in the README, "Limits").
 */
export interface Limits {
  /** Largest frame a legacy client may send (bytes). Above it ws closes with 1009. Default 64 KiB: legacy clients only send pings. */
  legacyMaxPayload: number;
  /** Largest Socket.IO message (bytes), engine.io's maxHttpBufferSize. Default 1 MiB. */
  socketIoMaxPayload: number;
  /** Largest REST body (bytes). Default 1 MiB. */
  restMaxBody: number;
  /** Bytes queued to one legacy socket above which droppable frames (heartbeats) are skipped. Default 1 MiB. */
  legacySoftBuffer: number;
  /** Bytes queued to one legacy socket above which it is closed as a slow consumer (4508). Default 8 MiB. */
  legacyHardBuffer: number;
}

export const DEFAULT_LIMITS: Limits = {
  legacyMaxPayload: 64 * 1024,
  socketIoMaxPayload: 1024 * 1024,
  restMaxBody: 1024 * 1024,
  legacySoftBuffer: 1024 * 1024,
  legacyHardBuffer: 8 * 1024 * 1024,
};
