import type { Middleware } from 'koa';
import { SwitchyardError } from '../errors/catalogue.js';
import { isAdminPath, parseRequestTarget } from './request-target.js';
import { bearerToken } from '../auth/credentials.js';
import { matchesDigest, secretDigest } from '../auth/token-compare.js';

/** The name `SWITCHYARD_ADMIN_TOKEN` (and `createSwitchyard({ adminToken })`) acts under. */
export const DEFAULT_ADMIN_NAME = 'admin';

/** Where the gate leaves the name of the token that was accepted (`ctx.state`). */
export interface AdminState {
  adminActor?: string;
}

/**
 * The admin tokens, by name. Tokens are kept and compared as SHA-256 digests:
 * equal length whatever was sent, so `timingSafeEqual` leaks neither the
 * content nor the length of a token, and every token is compared on every
 * request (no early exit that would tell which one came close).
 */
export class AdminTokens {
  readonly #digests: ReadonlyArray<{ name: string; digest: Buffer }>;

  constructor(tokens: Readonly<Record<string, string>>) {
    this.#digests = Object.entries(tokens).filter(([, token]) => token !== '').map(([name, token]) => ({ name, digest: secretDigest(token) }));
  }

  get size(): number {
    return this.#digests.length;
  }

  /** The name of the token `given` is, or undefined. */
  identify(given: string): string | undefined {
    const candidate = secretDigest(given);
    let found: string | undefined;
    for (const { name, digest: expected } of this.#digests) {
      if (matchesDigest(candidate, expected) && found === undefined) found = name;
    }
    return found;
  }
}

/** `adminToken` (as `admin`) and `adminTokens` merged. */
export function adminTokenSet(options: { adminToken?: string; adminTokens?: Readonly<Record<string, string>> }): AdminTokens {
  return new AdminTokens({
    ...(options.adminToken ? { [DEFAULT_ADMIN_NAME]: options.adminToken } : {}),
    ...options.adminTokens,
  });
}

/**
 * The one place the admin API is locked. Every request whose path, in
 * normalised form (decoded, dot segments resolved, duplicate slashes
 * collapsed, lower case), is under `/api/admin` needs a valid bearer token,
 * whichever route (if any) it would reach: `/Api/Admin/…`, `/api//admin/…`
 * and `/api/%61dmin/…` included. Must run before any route.
 */
export function adminGate(tokens: AdminTokens): Middleware<AdminState> {
  return async (ctx, next) => {
    if (!isAdminRequest(ctx.url)) return next();
    const given = bearerToken(ctx.req.headers);
    const name = given ? tokens.identify(given) : undefined;
    if (name === undefined) throw new SwitchyardError('UNAUTHORIZED', 'a valid bearer token is required');
    ctx.state.adminActor = name;
    await next();
  };
}

/** Whether a request target is for the admin API (an unparseable one never gets this far: app.ts answers 400). */
export function isAdminRequest(rawUrl: string): boolean {
  const parsed = parseRequestTarget(rawUrl);
  return !parsed.ok || isAdminPath(parsed.target.normalisedPath);
}
