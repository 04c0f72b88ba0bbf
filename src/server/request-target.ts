/**
 * The one place an HTTP request target (`req.url`) is parsed, for plain
 * requests and WebSocket upgrades alike. Whatever a client sends, parsing
 * never throws: a target that is not origin-form (`/path?query`), or whose
 * path holds a bad percent-escape (`/100%`, `/%E0`), is reported as malformed
 * and answered 400 `MALFORMED_REQUEST` by the caller.
 */

/** A parsed origin-form target. */
export interface RequestTarget {
  /** The target resolved against a placeholder origin: `pathname` stays encoded, `searchParams` decoded. */
  readonly url: URL;
  /**
   * The path as access control must see it: percent-decoded, dot segments
   * resolved, duplicate slashes collapsed, lower case. Never used for
   * routing (routes are case-sensitive, as the legacy backend's were).
   */
  readonly normalisedPath: string;
}

export type ParsedTarget = { ok: true; target: RequestTarget } | { ok: false; reason: string };

/** Never resolved: a placeholder so that the URL parser treats the target as a path on one fixed origin. */
const ORIGIN = 'http://switchyard.invalid';

/** `decodeURIComponent` that answers `undefined` instead of throwing URIError. */
export function safeDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/**
 * Parse `req.url`. Only origin-form is accepted: a path starting with a
 * single `/`. Absolute-form (`http://host/…`), authority-form, `*`, and `//…`
 * (which URL parsers read as a host, and no route of the legacy backend ever
 * matched) are refused.
 */
export function parseRequestTarget(raw: string | undefined): ParsedTarget {
  if (raw === undefined || !raw.startsWith('/') || raw.startsWith('//')) return { ok: false, reason: 'request target is not a path' };
  let url: URL;
  try {
    // Concatenated, not resolved relative to ORIGIN, so nothing in the
    // target can name another host.
    url = new URL(ORIGIN + raw);
  } catch {
    return { ok: false, reason: 'request target cannot be parsed' };
  }
  if (url.origin !== ORIGIN) return { ok: false, reason: 'request target is not a path' };
  const decoded = safeDecode(url.pathname);
  if (decoded === undefined) return { ok: false, reason: 'request path holds a bad percent-escape' };
  return { ok: true, target: { url, normalisedPath: normalisePath(decoded) } };
}

/** How many times a path is decoded at most: `%2561` is `%61` is `a`. */
const MAX_DECODE_ROUNDS = 4;

/**
 * Canonical form of an already decoded path for access checks: decoded again
 * until stable (a double-encoded path must not slip past), dot segments
 * resolved, empty segments dropped, lower case.
 */
export function normalisePath(decodedPath: string): string {
  let path = decodedPath;
  for (let round = 0; round < MAX_DECODE_ROUNDS; round++) {
    const next = safeDecode(path);
    if (next === undefined || next === path) break;
    path = next;
  }
  const out: string[] = [];
  for (const segment of path.replaceAll('\\', '/').split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') out.pop();
    else out.push(segment);
  }
  return `/${out.join('/')}`.toLowerCase();
}

/** The admin API's prefix; every path at or under it (in normalised form) needs an admin token. */
const ADMIN_PREFIX = '/api/admin';

/**
 * Whether a normalised path belongs to the admin API. Deliberately broad
 * (`/api/administrator` counts too): a false positive costs a 401 on a path
 * that has no route anyway, a false negative would open the lock.
 */
export function isAdminPath(normalisedPath: string): boolean {
  return normalisedPath.startsWith(ADMIN_PREFIX);
}
