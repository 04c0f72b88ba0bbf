/**
 * One raw HTTP exchange over a node:net socket: the fuzzers need to send what
 * no well-behaved client library would (bad targets, garbled headers, huge
 * ones), and to see exactly what came back, or that nothing did.
 */
import { connect } from 'node:net';

export interface RawAnswer {
  /** Status of the first answer, when one came. */
  status?: number;
  /** Head and as much of the body as arrived before the close (first 64 KiB). */
  text: string;
  /** The server closed (or reset) the connection without a status line. */
  closedSilently: boolean;
  /** Nothing, not even a close, within the deadline. */
  timedOut: boolean;
}

/**
 * Send `request` and read until the server closes, or until a complete head
 * when `headOnly` (an accepted upgrade stays open; that is the end of it).
 */
export function rawExchange(port: number, request: Buffer, options: { timeoutMs: number; headOnly?: boolean }): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (timedOut: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ status: match ? Number(match[1]) : undefined, text, closedSilently: !match && !timedOut, timedOut });
    };
    const timer = setTimeout(() => finish(true), options.timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      if (size < 65_536) chunks.push(chunk);
      size += chunk.length;
      if (options.headOnly && Buffer.concat(chunks).includes('\r\n\r\n')) finish(false);
    });
    socket.on('error', () => finish(false));
    socket.on('close', () => finish(false));
    // No half-close: a server may drop a pending upgrade when the client's side ends.
    socket.on('connect', () => socket.write(request));
  });
}

/** The body of a raw answer (after the head), decoded as UTF-8. */
export function rawBody(answer: RawAnswer): string {
  const at = answer.text.indexOf('\r\n\r\n');
  return at < 0 ? '' : Buffer.from(answer.text.slice(at + 4), 'latin1').toString('utf8');
}
