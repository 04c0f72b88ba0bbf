import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

/** Refuse a WebSocket handshake with a plain HTTP answer (and a JSON body when given), then close. */
export function rejectUpgrade(socket: Duplex, status: number, body?: unknown): void {
  if (socket.destroyed) return;
  const text = body === undefined ? '' : JSON.stringify(body);
  const head = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
    'Connection: close',
    ...(text ? ['Content-Type: application/json; charset=utf-8'] : []),
    `Content-Length: ${Buffer.byteLength(text)}`,
  ];
  socket.end(`${head.join('\r\n')}\r\n\r\n${text}`);
}
