import { Command, InvalidArgumentError } from 'commander';
import { DEFAULT_REDIS_PREFIX, defaultNodeId } from '../cluster/options.js';
import { z } from 'zod';
import { DEFAULT_RETENTION } from '../domain/event-log.js';
import { DEFAULT_LIMITS } from '../transport/limits.js';
import { parseOriginList } from '../auth/origin.js';

/** Everything the CLI can be told, from flags or the environment (flags win). */
export interface CliConfig {
  port: number;
  host: string;
  demo: boolean;
  planDir: string | undefined;
  flagsFile: string;
  unleashUrl: string | undefined;
  unleashApiToken: string | undefined;
  unleashAppName: string;
  unleashRefreshMs: number;
  adminToken: string | undefined;
  logLevel: string;
  /** Room history kept for resume: events per room and age. */
  historyEvents: number;
  historyMs: number;
  /** Flow limits (0 = unlimited) and the proxies whose X-Forwarded-For is trusted. */
  connectionsPerAddress: number;
  messagesPerSecond: number;
  producerRequestsPerSecond: number;
  socketIoHardBuffer: number;
  trustedProxies: string[];
  /** Bearer token of the producer API (environment only). */
  producerToken: string | undefined;
  /** Client JWTs: HS256 shared secret or JWKS URL, optional issuer/audience (environment only). */
  jwtSecret: string | undefined;
  jwksUrl: string | undefined;
  jwtIssuer: string | undefined;
  jwtAudience: string | undefined;
  /** Cookie that may carry a legacy client's token. */
  tokenCookie: string;
  /** Origin allowlist; undefined = any origin. */
  allowedOrigins: string[] | undefined;
  /** Named admin tokens from `SWITCHYARD_ADMIN_TOKENS` (`name:token,name:token`), name → token. */
  adminTokens: Record<string, string> | undefined;
  /** Room history kept for resume: payload bytes per room and across all rooms. */
  historyBytes: number;
  historyTotalBytes: number;
  /** Cluster mode: Redis URL (unset = embedded), key prefix and this node's name. */
  redisUrl: string | undefined;
  redisPrefix: string;
  nodeId: string;
  /** Embedded mode: where the flags Unleash last delivered are kept across restarts. */
  stateFile: string;
}

/** One `name:token` entry; the name is what the audit trail records. */
const adminTokenEntry = z.string().transform((entry, ctx) => {
  const colon = entry.indexOf(':');
  const name = colon < 0 ? '' : entry.slice(0, colon).trim();
  const token = colon < 0 ? '' : entry.slice(colon + 1).trim();
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) ctx.addIssue({ code: 'custom', message: `"${name}" is not a token name (letters, digits, _ . -; at most 64)` });
  if (!/^\S{1,512}$/.test(token)) ctx.addIssue({ code: 'custom', message: `the token of "${name}" is empty, has spaces or is over 512 characters` });
  return [name, token] as const;
});

/** `SWITCHYARD_ADMIN_TOKENS`: comma-separated `name:token`, names and tokens unique. */
export const adminTokensSchema = z.string().transform((list) => list.split(',').filter((entry) => entry.trim() !== ''))
  .pipe(z.array(adminTokenEntry).min(1, 'no name:token entry'))
  .superRefine((entries, ctx) => {
    const names = entries.map(([name]) => name);
    const tokens = entries.map(([, token]) => token);
    if (new Set(names).size !== names.length) ctx.addIssue({ code: 'custom', message: 'a token name appears twice' });
    if (new Set(tokens).size !== tokens.length) ctx.addIssue({ code: 'custom', message: 'two names share one token (the audit trail could not tell them apart)' });
  })
  .transform((entries) => Object.fromEntries(entries) as Record<string, string>);

function integer(name: string, min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
    return n;
  };
}

/**
 * Parse argv and the environment into a config. Documented in the README
 * ("Configuration"); each option names its environment variable.
 */
export function parseConfig(argv: readonly string[], env: NodeJS.ProcessEnv): CliConfig {
  const program = new Command()
    .name('switchyard')
    .description('Serve legacy raw-WebSocket endpoints and Socket.IO namespaces side by side, switching per service.')
    .option('--port <port>', 'listen port (PORT)', integer('port', 0, 65535), Number(env.PORT ?? 8080))
    .option('--host <host>', 'listen address (HOST)', env.HOST ?? '127.0.0.1')
    .option('--demo', 'simulated producers drive all seven services (SWITCHYARD_DEMO=1)', env.SWITCHYARD_DEMO === '1')
    .option('--plans <dir>', 'migration plan directory (SWITCHYARD_PLANS)', env.SWITCHYARD_PLANS)
    .option('--flags-file <path>', 'local flags file, watched (SWITCHYARD_FLAGS_FILE)', env.SWITCHYARD_FLAGS_FILE ?? 'switchyard.flags.json')
    .option('--unleash-url <url>', 'Unleash API URL; makes Unleash the flag source (UNLEASH_URL)', env.UNLEASH_URL)
    .option('--unleash-refresh-ms <ms>', 'Unleash poll interval (UNLEASH_REFRESH_MS)', integer('unleash-refresh-ms', 100, 3_600_000), Number(env.UNLEASH_REFRESH_MS ?? 5000))
    .option('--log-level <level>', 'pino level (LOG_LEVEL)', env.LOG_LEVEL ?? 'info')
    .option('--history-events <n>', 'events kept per room for resume (SWITCHYARD_HISTORY_EVENTS)', integer('history-events', 1, 1_000_000), Number(env.SWITCHYARD_HISTORY_EVENTS ?? DEFAULT_RETENTION.maxEvents))
    .option('--history-ms <ms>', 'age of the oldest event kept for resume (SWITCHYARD_HISTORY_MS)', integer('history-ms', 1000, 86_400_000), Number(env.SWITCHYARD_HISTORY_MS ?? DEFAULT_RETENTION.maxAgeMs))
    .option('--connections-per-address <n>', 'open connections per client address, both transports; 0 = unlimited (SWITCHYARD_CONNECTIONS_PER_ADDRESS)', integer('connections-per-address', 0, 10_000_000), Number(env.SWITCHYARD_CONNECTIONS_PER_ADDRESS ?? DEFAULT_LIMITS.connectionsPerAddress))
    .option('--messages-per-second <n>', 'messages per second per connection, burst twice that; 0 = unlimited (SWITCHYARD_MESSAGES_PER_SECOND)', integer('messages-per-second', 0, 1_000_000), Number(env.SWITCHYARD_MESSAGES_PER_SECOND ?? DEFAULT_LIMITS.messagesPerSecond))
    .option('--producer-rps <n>', 'producer REST requests per second per address or credential, burst twice that; 0 = unlimited (SWITCHYARD_PRODUCER_RPS)', integer('producer-rps', 0, 10_000_000), Number(env.SWITCHYARD_PRODUCER_RPS ?? DEFAULT_LIMITS.producerRequestsPerSecond))
    .option('--socketio-hard-buffer <bytes>', 'bytes queued to one Socket.IO client before it is cut as a slow consumer (SWITCHYARD_SOCKETIO_HARD_BUFFER)', integer('socketio-hard-buffer', 64 * 1024, 1024 * 1024 * 1024), Number(env.SWITCHYARD_SOCKETIO_HARD_BUFFER ?? DEFAULT_LIMITS.socketIoHardBuffer))
    .option('--trusted-proxies <list>', 'comma-separated proxy addresses/CIDRs whose X-Forwarded-For names the client (SWITCHYARD_TRUSTED_PROXIES)', env.SWITCHYARD_TRUSTED_PROXIES ?? '')
    .option('--history-bytes <n>', 'payload bytes kept per room for resume (SWITCHYARD_HISTORY_BYTES)', integer('history-bytes', 1024, 1024 ** 3), Number(env.SWITCHYARD_HISTORY_BYTES ?? DEFAULT_RETENTION.maxBytes))
    .option('--history-total-bytes <n>', 'payload bytes kept for resume across all rooms (SWITCHYARD_HISTORY_TOTAL_BYTES)', integer('history-total-bytes', 1024, 16 * 1024 ** 3), Number(env.SWITCHYARD_HISTORY_TOTAL_BYTES ?? DEFAULT_RETENTION.maxTotalBytes))
    .option('--redis-url <url>', 'Redis URL; turns on cluster mode (REDIS_URL)', env.REDIS_URL)
    .option('--redis-prefix <prefix>', 'prefix of every Redis key and channel (SWITCHYARD_REDIS_PREFIX)', env.SWITCHYARD_REDIS_PREFIX ?? DEFAULT_REDIS_PREFIX)
    .option('--node-id <id>', 'this node\'s name in the audit trail and logs (SWITCHYARD_NODE_ID)', env.SWITCHYARD_NODE_ID ?? defaultNodeId())
    .option('--state-file <path>', 'embedded mode: state kept across restarts, e.g. the flags Unleash last delivered (SWITCHYARD_STATE_FILE)', env.SWITCHYARD_STATE_FILE ?? '.switchyard/state.json')
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });
  program.parse([...argv], { from: 'user' });
  const adminTokens = parseAdminTokens(env, program);
  const o = program.opts<{ port: number; host: string; demo: boolean; plans?: string; flagsFile: string; unleashUrl?: string; unleashRefreshMs: number; logLevel: string; historyEvents: number; historyMs: number; historyBytes: number; historyTotalBytes: number; redisUrl?: string; redisPrefix: string; nodeId: string; stateFile: string; connectionsPerAddress: number; messagesPerSecond: number; producerRps: number; socketioHardBuffer: number; trustedProxies: string }>();
  return {
    port: o.port,
    host: o.host,
    demo: o.demo,
    planDir: o.plans,
    flagsFile: o.flagsFile,
    unleashUrl: o.unleashUrl,
    // Secrets come from the environment only, never argv (visible in `ps`).
    unleashApiToken: env.UNLEASH_API_TOKEN,
    unleashAppName: env.UNLEASH_APP_NAME ?? 'switchyard',
    unleashRefreshMs: o.unleashRefreshMs,
    adminToken: env.SWITCHYARD_ADMIN_TOKEN,
    logLevel: o.logLevel,
    historyEvents: o.historyEvents,
    historyMs: o.historyMs,
    connectionsPerAddress: o.connectionsPerAddress,
    messagesPerSecond: o.messagesPerSecond,
    producerRequestsPerSecond: o.producerRps,
    socketIoHardBuffer: o.socketioHardBuffer,
    trustedProxies: o.trustedProxies.split(',').map((part) => part.trim()).filter(Boolean),
    producerToken: env.SWITCHYARD_PRODUCER_TOKEN || undefined,
    jwtSecret: env.SWITCHYARD_JWT_SECRET || undefined,
    jwksUrl: env.SWITCHYARD_JWKS_URL || undefined,
    jwtIssuer: env.SWITCHYARD_JWT_ISSUER || undefined,
    jwtAudience: env.SWITCHYARD_JWT_AUDIENCE || undefined,
    tokenCookie: env.SWITCHYARD_TOKEN_COOKIE || 'switchyard_token',
    allowedOrigins: parseOriginList(env.SWITCHYARD_ALLOWED_ORIGINS),
    adminTokens,
    historyBytes: o.historyBytes,
    historyTotalBytes: o.historyTotalBytes,
    redisUrl: o.redisUrl || undefined,
    redisPrefix: o.redisPrefix,
    nodeId: o.nodeId,
    stateFile: o.stateFile,
  };
}

/** `SWITCHYARD_ADMIN_TOKENS`, checked against `SWITCHYARD_ADMIN_TOKEN` (named `admin`). A bad list is a usage error. */
function parseAdminTokens(env: NodeJS.ProcessEnv, program: Command): Record<string, string> | undefined {
  const raw = env.SWITCHYARD_ADMIN_TOKENS;
  if (raw === undefined || raw.trim() === '') return undefined;
  // Never echo the value: it holds secrets.
  const parsed = adminTokensSchema.safeParse(raw);
  if (!parsed.success) program.error(`error: SWITCHYARD_ADMIN_TOKENS must be "name:token,name:token": ${parsed.error.issues.map((i) => i.message).join('; ')}`, { exitCode: 2, code: 'switchyard.adminTokens' });
  const tokens = parsed.data;
  if (env.SWITCHYARD_ADMIN_TOKEN && Object.hasOwn(tokens, 'admin')) {
    program.error('error: SWITCHYARD_ADMIN_TOKENS names "admin", the name SWITCHYARD_ADMIN_TOKEN acts under; rename one', { exitCode: 2, code: 'switchyard.adminTokens' });
  }
  if (env.SWITCHYARD_ADMIN_TOKEN && Object.values(tokens).includes(env.SWITCHYARD_ADMIN_TOKEN)) {
    program.error('error: a token in SWITCHYARD_ADMIN_TOKENS is also SWITCHYARD_ADMIN_TOKEN', { exitCode: 2, code: 'switchyard.adminTokens' });
  }
  return tokens;
}
