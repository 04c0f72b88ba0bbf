import type { ServerResponse } from 'node:http';
import { toHttp } from '../errors/surfaces.js';

/**
 * Answer a plain HTTP request with a catalogued error, outside Koa (a target
 * that cannot be parsed never reaches it). Headers already sent: just end.
 */
export function answerError(res: ServerResponse, error: unknown): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const { status, body } = toHttp(error);
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'X-Content-Type-Options': 'nosniff',
    // A malformed target may come with a body we never read: do not try to parse the next request.
    Connection: 'close',
  });
  res.end(text);
}
