import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Middleware } from 'koa';
import type { Logger } from 'pino';
import type { Server as SocketIoServer, Socket } from 'socket.io';
import { SwitchyardError, type ErrorCode } from '../errors/catalogue.js';
import { toConnectError, toHttp } from '../errors/surfaces.js';
import { rejectUpgrade } from '../transport/reject-upgrade.js';
import { bearerToken, clientToken, DEFAULT_TOKEN_COOKIE } from './credentials.js';
import { OriginPolicy } from './origin.js';
import { sameSecret } from './token-compare.js';
import type { ClientCredentials, ClientIdentity, ClientVerifier } from './verifier.js';

export interface AccessOptions {
  /** Bearer token of the producer API (`/api/producer/*`). Unset: the producer API is open. */
  producerToken?: string;
  /** Client authentication on both transports and the client REST routes. Unset: clients are not authenticated. */
  verifyClient?: ClientVerifier;
  /** Cookie that may carry a legacy client's token. Default `switchyard_token`. */
  tokenCookie?: string;
  /** Origins browsers may call from. Unset or empty: any. */
  allowedOrigins?: readonly string[];
  logger: Logger;
}

/** Which credential a REST path needs. Admin routes check their own token (admin-routes.ts). */
type RestArea = 'producer' | 'admin' | 'client' | 'open';

/**
 * A path as the router will see it: Koa's router matches case-insensitively
 * and tolerates escapes and doubled slashes, so the area is decided on the
 * same normalised form, never on the raw text a client could disguise.
 */
function restArea(path: string): RestArea {
  let p = path;
  try {
    p = decodeURIComponent(path);
  } catch {
    // An undecodable path reaches no route; classify the raw text.
  }
  p = p.toLowerCase().replace(/\/{2,}/g, '/');
  if (p === '/api/producer' || p.startsWith('/api/producer/')) return 'producer';
  if (p === '/api/admin' || p.startsWith('/api/admin/')) return 'admin';
  if (p.startsWith('/api/')) return 'client';
  return 'open';
}

/**
 * Who may come in, decided at every front door: the Origin allowlist, the
 * producer token, and client authentication. Every door is open by default
 * (the legacy backend had none); each option closes one.
 *
 * - REST: `koaGuard` (after CORS, so preflights pass and refusals carry CORS headers).
 * - Legacy WebSocket: `admitUpgrade`, before the handshake completes (401/403 JSON).
 * - Socket.IO: `engineOptions` (Origin, at the engine) and `installSocketIo`
 *   (the token in `auth.token`, per namespace, before the stage check).
 */
export class Access {
  readonly #options: AccessOptions;
  readonly #origins: OriginPolicy;
  readonly #cookie: string;

  constructor(options: AccessOptions) {
    this.#options = options;
    this.#origins = new OriginPolicy(options.allowedOrigins);
    this.#cookie = options.tokenCookie ?? DEFAULT_TOKEN_COOKIE;
  }

  get clientAuth(): boolean {
    return this.#options.verifyClient !== undefined;
  }

  originAllowed(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    return this.#origins.allows(Array.isArray(origin) ? origin[0] : origin, req.headers.host);
  }

  /** engine.io options: refuse other origins at the handshake, and echo only allowed ones in CORS. */
  engineOptions(): { allowRequest: (req: IncomingMessage, callback: (err: string | null | undefined, success: boolean) => void) => void; cors: { origin: (origin: string | undefined, cb: (err: Error | null, allow?: boolean) => void) => void; credentials: boolean } } {
    return {
      allowRequest: (req, callback) => {
        const allowed = this.originAllowed(req);
        callback(allowed ? null : 'FORBIDDEN_ORIGIN', allowed);
      },
      cors: { origin: (origin, cb) => cb(null, this.#origins.allows(origin)), credentials: true },
    };
  }

  /** @koa/cors `origin`: echo an allowed Origin, none otherwise (the browser then blocks the answer). */
  corsOrigin = (ctx: { get(field: string): string }): string => {
    const origin = ctx.get('origin');
    if (!origin) return '*';
    return this.#origins.allows(origin, ctx.get('host')) ? origin : '';
  };

  /** The REST guard: Origin, then the producer token or client authentication, by path. */
  koaGuard: Middleware = async (ctx, next) => {
    if (!this.#origins.allows(ctx.get('origin') || undefined, ctx.get('host'))) {
      throw new SwitchyardError('FORBIDDEN_ORIGIN', 'this origin may not call Switchyard');
    }
    const area = restArea(ctx.path);
    if (area === 'producer' && this.#options.producerToken !== undefined) {
      const given = bearerToken(ctx.req.headers);
      if (given === undefined || !sameSecret(given, this.#options.producerToken)) {
        throw new SwitchyardError('UNAUTHORIZED', 'a valid producer token is required');
      }
    } else if (area === 'client' && this.#options.verifyClient) {
      ctx.state.identity = await this.#verify(clientToken(ctx.req.headers, new URL(ctx.href), this.#cookie), 'rest');
    }
    await next();
  };

  /**
   * A legacy upgrade, before the handshake completes. Resolves the verified
   * identity (undefined when client auth is off), or null after refusing
   * the socket itself (403 FORBIDDEN_ORIGIN or 401 UNAUTHORIZED, JSON body).
   */
  async admitUpgrade(req: IncomingMessage, url: URL, socket: Duplex): Promise<ClientIdentity | undefined | null> {
    if (!this.admitUpgradeOrigin(req, socket)) return null;
    if (!this.#options.verifyClient) return undefined;
    try {
      return await this.#verify(clientToken(req.headers, url, this.#cookie), 'legacy');
    } catch (error) {
      const { status, body } = toHttp(error);
      rejectUpgrade(socket, status, body);
      return null;
    }
  }

  /** Any upgrade (Socket.IO's too): false after answering 403 to a disallowed Origin. */
  admitUpgradeOrigin(req: IncomingMessage, socket: Duplex): boolean {
    if (this.originAllowed(req)) return true;
    const { status, body } = toHttp(new SwitchyardError('FORBIDDEN_ORIGIN', 'this origin may not connect'));
    rejectUpgrade(socket, status, body);
    return false;
  }

  /**
   * Socket.IO client authentication: `auth.token` of the handshake, checked by
   * a middleware on every namespace. Installed before the bridge adds its
   * stage check, so a client without a token learns UNAUTHORIZED, not where
   * the service is served. The verified subject becomes the client's
   * stickiness id (`auth.clientId`) for gradual rollouts.
   */
  installSocketIo(io: SocketIoServer, onRefused?: (namespace: string, code: ErrorCode) => void): void {
    const verify = this.#options.verifyClient;
    if (!verify) return;
    const middleware = (socket: Socket, next: (err?: Error) => void): void => {
      const auth = socket.handshake.auth as Record<string, unknown>;
      const token = typeof auth.token === 'string' && auth.token !== '' ? auth.token : bearerToken(socket.handshake.headers);
      this.#verify(token, 'socketio').then((identity) => {
        socket.data = { ...(socket.data as object), identity };
        auth.clientId = identity.subject;
        next();
      }, (error: unknown) => {
        const refusal = toConnectError(error);
        onRefused?.(socket.nsp.name, refusal.data.code as ErrorCode);
        next(refusal);
      });
    };
    io.use(middleware);
    io.on('new_namespace', (nsp) => nsp.use(middleware));
  }

  async #verify(token: string | undefined, transport: ClientCredentials['transport']): Promise<ClientIdentity> {
    if (token === undefined) throw new SwitchyardError('UNAUTHORIZED', 'a client token is required');
    try {
      return await this.#options.verifyClient!({ token, transport });
    } catch (error) {
      this.#options.logger.debug({ err: error, transport }, 'client token refused');
      throw new SwitchyardError('UNAUTHORIZED', 'the client token is not valid');
    }
  }
}
