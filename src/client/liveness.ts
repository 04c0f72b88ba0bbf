import type { ServicePlan } from '../adapter/plan-schema.js';

/** How long a legacy link may stay silent, and how it checks. */
export interface LivenessOptions {
  /** Silence after which the link probes (text `ping`, on services that answer `pong`). Default 15000. */
  idleMs: number;
  /** After the expected frame is due (probe sent or heartbeat missed), this long without any frame ends the link. Default 10000. */
  timeoutMs: number;
}

export const DEFAULT_LIVENESS: LivenessOptions = { idleMs: 15_000, timeoutMs: 10_000 };

/** The server's WebSocket protocol ping interval (uvicorn's, and Switchyard's default `livenessIntervalMs`). */
const PROTOCOL_PING_MS = 20_000;

/**
 * The silence budget of one legacy endpoint, or undefined when a client
 * cannot tell silence from a quiet stream. A service that answers the text
 * `ping` is probed after `idleMs`; one with a heartbeat is expected to beat
 * on its plan's cadence; one with neither (test-execution) is only watched
 * where the WebSocket implementation shows protocol pings (`ws` in Node; a
 * browser's WebSocket hides them).
 */
export function livenessBudget(plan: ServicePlan, options: LivenessOptions, seesProtocolPings: boolean): { idleMs: number; timeoutMs: number; probe: boolean } | undefined {
  if (plan.legacy.pong !== null && plan.legacy.pong !== undefined) return { idleMs: options.idleMs, timeoutMs: options.timeoutMs, probe: true };
  const heartbeat = plan.legacy.heartbeat?.intervalMs;
  if (heartbeat !== undefined) return { idleMs: heartbeat, timeoutMs: options.timeoutMs, probe: false };
  if (seesProtocolPings) return { idleMs: PROTOCOL_PING_MS, timeoutMs: options.timeoutMs, probe: false };
  return undefined;
}

/**
 * A dead-link detector: every sign of life re-arms it; after `idleMs` of
 * silence it probes once (when it can), and after `timeoutMs` more it
 * declares the link dead. A half-open connection (a NAT or proxy that
 * dropped it silently) is thus noticed within `idleMs + timeoutMs`.
 */
export class SilenceWatch {
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;

  constructor(
    private readonly budget: { idleMs: number; timeoutMs: number },
    private readonly probe: (() => void) | undefined,
    private readonly dead: (silentMs: number) => void,
  ) {
    this.alive();
  }

  /** A frame (or protocol ping) arrived. */
  alive(): void {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.probe?.();
      this.#timer = setTimeout(() => {
        this.#stopped = true;
        this.dead(this.budget.idleMs + this.budget.timeoutMs);
      }, this.budget.timeoutMs);
    }, this.budget.idleMs);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }
}
