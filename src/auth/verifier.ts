import type { JWTPayload, JWTVerifyGetKey } from 'jose';
import { SwitchyardError } from '../errors/catalogue.js';

/** Who a verified client is. `subject` is stable per user (the JWT `sub`). */
export interface ClientIdentity {
  subject: string;
  /** The verified claims (JWT payload), for embedders' own checks. */
  claims?: Record<string, unknown>;
}

/** What a client presented, and on which door. */
export interface ClientCredentials {
  token: string;
  transport: 'socketio' | 'legacy' | 'rest';
}

/**
 * Decides whether a client may connect: resolves its identity, or rejects
 * (any rejection refuses the client with UNAUTHORIZED; the reason is logged,
 * never sent). One verifier serves both transports and the client REST routes.
 */
export type ClientVerifier = (credentials: ClientCredentials) => Promise<ClientIdentity>;

export interface JwtVerifierOptions {
  /** HS256 shared secret (`SWITCHYARD_JWT_SECRET`). */
  secret?: string;
  /** JWKS URL (`SWITCHYARD_JWKS_URL`); keys fetched and cached by jose, refetched on an unknown `kid`. */
  jwksUrl?: string;
  /** Required `iss`, when set (`SWITCHYARD_JWT_ISSUER`). */
  issuer?: string;
  /** Required `aud`, when set (`SWITCHYARD_JWT_AUDIENCE`). */
  audience?: string;
}

/**
 * The built-in verifier: a JWT signed with a shared HS256 secret or by a key
 * of a JWKS. Expiry (`exp`, `nbf`) is always checked; a token without `sub`
 * is refused, since the subject is the client's identity.
 */
export function jwtVerifier(options: JwtVerifierOptions): ClientVerifier {
  if (!options.secret === !options.jwksUrl) throw new Error('jwtVerifier needs exactly one of secret or jwksUrl');
  const secret = options.secret ? new TextEncoder().encode(options.secret) : undefined;
  const jwksUrl = options.jwksUrl ? new URL(options.jwksUrl) : undefined;
  // jose loads on the first token, not at import: a server without client auth never pays for it.
  let jose: Promise<typeof import('jose')> | undefined;
  let jwks: JWTVerifyGetKey | undefined;
  const verifyOptions = {
    ...(options.issuer ? { issuer: options.issuer } : {}),
    ...(options.audience ? { audience: options.audience } : {}),
    // A shared secret only ever signs HS256; pinning it refuses `alg` games.
    ...(secret ? { algorithms: ['HS256'] } : {}),
  };
  return async ({ token }) => {
    const { jwtVerify, createRemoteJWKSet } = await (jose ??= import('jose'));
    // One key set per verifier, so jose's key cache and cooldown span every token.
    if (jwksUrl) jwks ??= createRemoteJWKSet(jwksUrl);
    const { payload } = secret ? await jwtVerify(token, secret, verifyOptions) : await jwtVerify(token, jwks!, verifyOptions);
    return identityOf(payload);
  };
}

function identityOf(payload: JWTPayload): ClientIdentity {
  if (typeof payload.sub !== 'string' || payload.sub === '') throw new SwitchyardError('UNAUTHORIZED', 'token has no subject');
  return { subject: payload.sub, claims: { ...payload } };
}
