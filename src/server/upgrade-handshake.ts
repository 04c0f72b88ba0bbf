import type { IncomingMessage } from 'node:http';
import { SwitchyardError } from '../errors/catalogue.js';

/** RFC 6455 §4.1: the key is 16 random bytes, base64 (24 characters ending in `==`). */
const KEY = /^[+/0-9A-Za-z]{22}==$/;
const VERSIONS = ['13', '8'];

/** What to answer a handshake the legacy endpoints cannot take. */
export interface HandshakeRefusal {
  error: SwitchyardError;
  headers?: Record<string, string>;
}

/**
 * Check a legacy WebSocket handshake before any session work is done for it
 * (ws would refuse the same requests later, but only after the service had
 * opened a session and subscribed it). Malformed headers are refused with 400
 * `MALFORMED_REQUEST`; an unsupported version also names the ones we speak.
 */
export function checkHandshake(req: IncomingMessage): HandshakeRefusal | undefined {
  const refuse = (message: string, headers?: Record<string, string>): HandshakeRefusal => ({
    error: new SwitchyardError('MALFORMED_REQUEST', message), headers,
  });
  if (req.method !== 'GET') return refuse('a WebSocket handshake must be a GET');
  if (req.headers.upgrade?.toLowerCase() !== 'websocket') return refuse('Upgrade header must be "websocket"');
  const key = req.headers['sec-websocket-key'];
  if (key === undefined || !KEY.test(key.trim())) return refuse('Sec-WebSocket-Key is missing or malformed');
  const version = req.headers['sec-websocket-version'];
  if (version === undefined || !VERSIONS.includes(version.trim())) {
    return refuse('unsupported Sec-WebSocket-Version', { 'Sec-WebSocket-Version': VERSIONS.join(', ') });
  }
  return undefined;
}
