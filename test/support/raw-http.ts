import { connect } from 'node:net';

/** What came back on a raw socket: the status line's code, headers (lower-case names) and body. */
export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Send bytes exactly as given on a fresh TCP connection and read the answer
 * until the server closes it (or `timeoutMs`): for requests no HTTP client
 * would build (bad escapes, `//` targets, broken handshakes).
 */
export function rawRequest(port: number, request: string, timeoutMs = 3000): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer within ${timeoutMs} ms; got ${JSON.stringify(data.slice(0, 200))}`));
    }, timeoutMs);
    const finish = (): boolean => {
      const split = data.indexOf('\r\n\r\n');
      const head = split < 0 ? data : data.slice(0, split);
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? Number.NaN);
      const body = split < 0 ? '' : data.slice(split + 4);
      // A complete answer with a length: no need to wait for the close.
      const length = Number(headers['content-length']);
      if (Number.isNaN(status) || (Number.isFinite(length) && Buffer.byteLength(body) < length)) return false;
      clearTimeout(timer);
      socket.destroy();
      resolve({ status, headers, body });
      return true;
    };
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      data += chunk;
      if (data.includes('\r\n\r\n')) finish();
    });
    socket.on('close', () => {
      if (!finish()) {
        clearTimeout(timer);
        reject(new Error(`connection closed without an answer: ${JSON.stringify(data.slice(0, 200))}`));
      }
    });
    socket.on('error', () => {
      // 'close' follows and reports.
    });
    socket.write(request);
  });
}

/** A WebSocket handshake for `target`, headers overridable (`undefined` drops one). */
export function handshake(target: string, overrides: Record<string, string | undefined> = {}): string {
  const headers: Record<string, string | undefined> = {
    Host: '127.0.0.1',
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Version': '13',
    ...overrides,
  };
  const lines = Object.entries(headers).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}: ${v}`);
  return `GET ${target} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`;
}
