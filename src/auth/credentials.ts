import type { IncomingHttpHeaders } from 'node:http';

/** Default name of the cookie that may carry a legacy client's token. */
export const DEFAULT_TOKEN_COOKIE = 'switchyard_token';

/** The bearer token of an `Authorization` header, or undefined. */
export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  const header = headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

function cookieValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const header = headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    const raw = part.slice(eq + 1).trim();
    try {
      return decodeURIComponent(raw) || undefined;
    } catch {
      return raw || undefined;
    }
  }
  return undefined;
}

/**
 * A legacy (browser) client's token: `Authorization: Bearer`, else the token
 * cookie, else a `token` query parameter; browsers cannot set headers on a
 * WebSocket, so the cookie and the query parameter are the ways they have.
 */
export function clientToken(headers: IncomingHttpHeaders, url: URL, cookieName: string): string | undefined {
  return bearerToken(headers) ?? cookieValue(headers, cookieName) ?? (url.searchParams.get('token') || undefined);
}
