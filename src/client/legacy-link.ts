import type { ServicePlan } from '../adapter/plan-schema.js';
import type { ErrorCode } from '../errors/catalogue.js';
import { classifyClose } from './codes.js';
import { readLegacyFrame } from './legacy-frames.js';
import { BufferedLink, LinkEndError, linkEnd, type LinkEnd, type Ready } from './link.js';
import { livenessBudget, SilenceWatch, type LivenessOptions } from './liveness.js';
import { LegacyOpenFailure, LegacyTransport, type WebSocketConstructor } from './transports/legacy-transport.js';

export interface LegacyLinkOptions {
  /** The full `ws(s)://` URL, opt-ins included (see `legacyUrl`). */
  url: string;
  WebSocketImpl: WebSocketConstructor;
  plan: ServicePlan;
  /** The URL parameters: frames that carry connection fields decode with them. */
  params: Readonly<Record<string, string>>;
  /** Open plus the `switchyard_resume` marker must arrive within this. */
  timeoutMs: number;
  /** Dead-link detection once open (see `livenessBudget`). */
  liveness: LivenessOptions;
}

/** Stages in which the Socket.IO namespace serves clients (`socketIoOpen` in src/rollout/stage-controller.ts). */
const SOCKETIO_STAGES: ReadonlySet<string> = new Set(['socketio', 'retired']);

function endFromClose(code: number, reason: string, errorFrame: { code: ErrorCode; message: string } | undefined): LinkEnd {
  if (errorFrame) {
    // A retired endpoint says so in a frame before closing 4410: the namespace serves this client.
    const hint = errorFrame.code === 'SERVICE_RETIRED' ? 'socketio' : undefined;
    return linkEnd(errorFrame.code, errorFrame.message, { closeCode: code, hint, stage: hint ? 'retired' : undefined });
  }
  const { code: failure, retry } = classifyClose(code);
  return { code: failure, retry, message: `legacy socket closed ${code}${reason ? ` ${reason}` : ''}`, closeCode: code };
}

/**
 * The legacy side with the SDK opt-ins: frames decoded through the migration
 * plan into the Socket.IO event names and payloads, `seq` taken from the
 * frames, resume and stage notices read. The link is ready when the
 * server's `switchyard_resume` marker arrives: the client always sends
 * `switchyard_since`, so the marker always comes, right after the replay or
 * the opening snapshot.
 */
export class LegacyLink extends BufferedLink {
  readonly kind = 'legacy' as const;
  readonly #options: LegacyLinkOptions;
  #transport: LegacyTransport | undefined;
  #errorFrame: { code: ErrorCode; message: string } | undefined;
  #onMarker: ((ready: Ready) => void) | undefined;
  #markerTimer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  #watch: SilenceWatch | undefined;

  constructor(options: LegacyLinkOptions) {
    super();
    this.#options = options;
  }

  open(): Promise<Ready> {
    return this.guardOpen(async () => {
      const { url, WebSocketImpl, timeoutMs } = this.#options;
      const started = Date.now();
      const marker = new Promise<Ready>((resolve) => {
        this.#onMarker = resolve;
      });
      const transport = new LegacyTransport(url, WebSocketImpl, {
        onText: (text) => {
          this.#watch?.alive();
          this.#onText(text);
        },
        onPing: () => this.#watch?.alive(),
        onClose: (code, reason) => {
          this.#watch?.stop();
          this.reportEnd(endFromClose(code, reason, this.#errorFrame));
        },
      });
      this.#transport = transport;
      if (this.#closed) transport.close();
      try {
        await transport.open(timeoutMs);
      } catch (error) {
        const failure = error instanceof LegacyOpenFailure ? error : new LegacyOpenFailure(1006, String(error));
        throw new LinkEndError(endFromClose(failure.code, failure.reason, undefined));
      }
      this.#watchSilence(transport);
      const timeout = new Promise<never>((_resolve, reject) => {
        this.#markerTimer = setTimeout(() => {
          transport.close(1000, 'resume timeout');
          reject(new LinkEndError(linkEnd('CONNECT_TIMEOUT', `no switchyard_resume within ${timeoutMs} ms`)));
        }, Math.max(1, timeoutMs - (Date.now() - started)));
      });
      try {
        return await Promise.race([marker, timeout]);
      } finally {
        clearTimeout(this.#markerTimer);
      }
    });
  }

  /**
   * A half-open connection (a NAT or proxy that dropped it without a FIN)
   * never closes by itself: silence past the budget ends the link as lost,
   * and the client reconnects and resumes from its last seq.
   */
  #watchSilence(transport: LegacyTransport): void {
    const budget = livenessBudget(this.#options.plan, this.#options.liveness, transport.seesProtocolPings);
    if (!budget || this.#closed) return;
    this.#watch = new SilenceWatch(budget, budget.probe ? () => transport.send('ping') : undefined, (silentMs) => {
      transport.close(1000, 'liveness timeout');
      this.reportEnd(linkEnd('TRANSPORT_LOST', `no frame from the legacy endpoint for ${silentMs} ms`));
    });
  }

  close(): void {
    this.#watch?.stop();
    this.#closed = true;
    clearTimeout(this.#markerTimer);
    this.#transport?.close(1000, 'client closed');
    // Settles a pending open() at once; once active, the client ignores ends of links it closed.
    this.reportEnd(linkEnd('CLIENT_CLOSED', 'link closed by the client'));
  }

  #onText(text: string): void {
    const { plan, params } = this.#options;
    const frame = readLegacyFrame(plan, text, params);
    switch (frame.kind) {
      case 'events':
        for (const { event, payload } of frame.events) this.reportIncoming({ event, payload, seq: frame.seq });
        return;
      case 'resume': {
        const resolve = this.#onMarker;
        this.#onMarker = undefined;
        resolve?.({ head: frame.seq, resumed: frame.resumed, epoch: frame.epoch });
        return;
      }
      case 'stage':
        // Notices also come when the stage moves back towards legacy; only a move to Socket.IO concerns a legacy client.
        if (SOCKETIO_STAGES.has(frame.stage)) this.reportNotice('socketio', frame.stage);
        return;
      case 'error':
        this.#errorFrame = { code: frame.code, message: frame.message };
        return;
      case 'invalid':
        this.reportWarning('FRAME_UNDECODABLE', `${plan.service}: ${frame.error.message}`);
        return;
      case 'control':
        return;
    }
  }
}
