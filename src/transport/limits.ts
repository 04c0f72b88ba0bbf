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
  /** Bytes queued to one Socket.IO client (engine.io's buffer + the socket's) above which it is disconnected as a slow consumer. Default 8 MiB. */
  socketIoHardBuffer: number;
  /** Open connections per remote address, both transports together. Default 1000; 0 = unlimited. */
  connectionsPerAddress: number;
  /** Messages per second one connection may send, sustained (token bucket). Default 50; 0 = unlimited. */
  messagesPerSecond: number;
  /** Messages one connection may send at once (the bucket's size). Default 100. */
  messageBurst: number;
  /** A connection that keeps its bucket from refilling (messages refused) for longer than this is closed with RATE_LIMITED. Default 5000 ms. */
  floodCloseMs: number;
  /** Producer REST requests per second per remote address or credential. Default 1000; 0 = unlimited. */
  producerRequestsPerSecond: number;
  /** Producer requests at once (the bucket's size). Default 2000. */
  producerBurst: number;
  /** Producer buckets kept (addresses, credentials); the least recently used is dropped first. Default 10000. */
  producerKeys: number;
}

export const DEFAULT_LIMITS: Limits = {
  legacyMaxPayload: 64 * 1024,
  socketIoMaxPayload: 1024 * 1024,
  restMaxBody: 1024 * 1024,
  legacySoftBuffer: 1024 * 1024,
  legacyHardBuffer: 8 * 1024 * 1024,
  socketIoHardBuffer: 8 * 1024 * 1024,
  connectionsPerAddress: 1000,
  messagesPerSecond: 50,
  messageBurst: 100,
  floodCloseMs: 5000,
  producerRequestsPerSecond: 1000,
  producerBurst: 2000,
  producerKeys: 10_000,
};
