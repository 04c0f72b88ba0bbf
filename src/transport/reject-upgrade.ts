import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { toHttp } from '../errors/surfaces.js';

/** Refuse a WebSocket handshake with a plain HTTP answer (and a JSON body when given), then close. */
export function rejectUpgrade(socket: Duplex, status: number, body?: unknown, headers: Readonly<Record<string, string>> = {}): void {
  if (socket.destroyed) return;
  const text = body === undefined ? '' : JSON.stringify(body);
  const head = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
    'Connection: close',
    ...(text ? ['Content-Type: application/json; charset=utf-8', 'X-Content-Type-Options: nosniff'] : []),
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    `Content-Length: ${Buffer.byteLength(text)}`,
  ];
  socket.end(`${head.join('\r\n')}\r\n\r\n${text}`);
}

/** Refuse a handshake with a catalogued error: its HTTP status and `{"error":{code,message}}` body. */
export function refuseUpgrade(socket: Duplex, error: unknown, headers?: Readonly<Record<string, string>>): void {
  const { status, body } = toHttp(error);
  rejectUpgrade(socket, status, body, headers);
}
