/** The IPC operations of the capacity bench's server and client processes (see capacity.ts). */

export interface LoopDelay {
  /** Event-loop delay over the window, ms beyond the 10 ms sampling interval (perf_hooks monitorEventLoopDelay). */
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

export interface CapacityServerStats {
  rss: number;
  heapUsed: number;
  external: number;
  legacy: number;
  socketIo: number;
  /** Open file descriptors of the server process (/proc/self/fd). */
  fds: number;
  loop: LoopDelay;
}

export interface CapacityServerApi {
  start: { arg: { connectionsPerAddress: number }; result: { port: number } };
  /** Memory after forced GCs, open connections, event-loop delay since the last `resetLoop`. */
  stats: { arg: { gc: boolean }; result: CapacityServerStats };
  resetLoop: { arg: undefined; result: undefined };
  stop: { arg: undefined; result: undefined };
}

export interface CapacityOpenResult {
  opened: number;
  failed: number;
  /** First few failure reasons, for the report. */
  errors: string[];
  ms: number;
}

export interface CapacityClientApi {
  /** Opens `legacy` raw ws and `socketIo` Socket.IO connections, from `addresses` in turn, at most `inFlight` handshakes at once. */
  open: { arg: { port: number; legacy: number; socketIo: number; addresses: string[]; inFlight: number; timeoutMs: number; label: string }; result: CapacityOpenResult };
  /** Connections still open, and how many closed since they opened (a drop during the hold is a failure). */
  status: { arg: undefined; result: { open: number; dropped: number; legacyPingsSent: number; socketIoPongs: number } };
  closeAll: { arg: undefined; result: undefined };
  stop: { arg: undefined; result: undefined };
}
