import { Command, InvalidArgumentError } from 'commander';
import { DEFAULT_RETENTION } from '../domain/event-log.js';

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
  /** Room history kept for resume: payload bytes per room and across all rooms. */
  historyBytes: number;
  historyTotalBytes: number;
}

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
    .option('--history-bytes <n>', 'payload bytes kept per room for resume (SWITCHYARD_HISTORY_BYTES)', integer('history-bytes', 1024, 1024 ** 3), Number(env.SWITCHYARD_HISTORY_BYTES ?? DEFAULT_RETENTION.maxBytes))
    .option('--history-total-bytes <n>', 'payload bytes kept for resume across all rooms (SWITCHYARD_HISTORY_TOTAL_BYTES)', integer('history-total-bytes', 1024, 16 * 1024 ** 3), Number(env.SWITCHYARD_HISTORY_TOTAL_BYTES ?? DEFAULT_RETENTION.maxTotalBytes))
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });
  program.parse([...argv], { from: 'user' });
  const o = program.opts<{ port: number; host: string; demo: boolean; plans?: string; flagsFile: string; unleashUrl?: string; unleashRefreshMs: number; logLevel: string; historyEvents: number; historyMs: number; historyBytes: number; historyTotalBytes: number }>();
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
    historyBytes: o.historyBytes,
    historyTotalBytes: o.historyTotalBytes,
  };
}
