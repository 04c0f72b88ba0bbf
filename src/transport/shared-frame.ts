import * as wsModule from 'ws';

interface FrameOptions {
  fin: boolean;
  opcode: number;
  mask: boolean;
  readOnly: boolean;
  rsv1: boolean;
}

// ws exports `Sender` (its wire framer, `lib/sender.js`), but @types/ws does
// not declare it: the one static method used here, typed by hand.
const { Sender } = wsModule as unknown as { Sender: { frame(data: Buffer, options: FrameOptions): Buffer[] } };

/** A server frame: final, text, unmasked (RFC 6455 §5.1), no compression (perMessageDeflate is off). */
const TEXT_FRAME: FrameOptions = { fin: true, opcode: 1, mask: false, readOnly: true, rsv1: false };

/**
 * One outgoing text frame shared by every socket it goes to: serialised once,
 * framed once (WebSocket header + UTF-8 payload in one buffer), and the same
 * bytes written to each socket. Plain `ws` frames per socket and `send`.
 * Immutable: a socket may still hold `wire` in its write queue after the
 * event has moved on.
 */
export class SharedFrame {
  readonly text: string;
  #wire: Buffer | undefined;

  constructor(text: string) {
    this.text = text;
  }

  /** The frame as it goes on the wire; built at the first socket that writes it. */
  get wire(): Buffer {
    if (this.#wire === undefined) {
      const [header, payload] = Sender.frame(Buffer.from(this.text), TEXT_FRAME);
      this.#wire = payload === undefined ? header! : Buffer.concat([header!, payload]);
    }
    return this.#wire;
  }
}
