import type { HostedId } from '../registry/contracts.js';
import { FileFlagSource } from './file-flag-source.js';
import { OverrideFlagSource } from './override-flag-source.js';
import { PlanFlagSource, type FlagLogger } from './plan-flag-source.js';
import type { Stage } from './stage.js';
import { LazyUnleashFlagSource } from './lazy-unleash-flag-source.js';
import type { LastKnownStore } from './last-known.js';

export type { FlagContext, FlagSource, FlagSourceKind, FlagSourceStatus } from './flag-source.js';
export { STAGES, isStage, type Stage } from './stage.js';
export {
  PlanFlagSource,
  defaultFlagName,
  resolveFlagNames,
  silentFlagLogger,
  type FlagLogger,
  type PlanFlagSourceOptions,
} from './plan-flag-source.js';
export { FileFlagSource, flagsFileSchema, type FileFlagSourceOptions, type FlagsFile } from './file-flag-source.js';
// Types only: the Unleash module (and unleash-client) loads when a source starts (LazyUnleashFlagSource).
export type { UnleashFlagSource, UnleashFlagSourceOptions } from './unleash-flag-source.js';
export { LazyUnleashFlagSource } from './lazy-unleash-flag-source.js';
export { OverrideFlagSource, type StageOrigin } from './override-flag-source.js';
export { FileLastKnownStore, type LastKnownFlags, type LastKnownStore } from './last-known.js';

/**
 * What {@link createFlagSource} needs. The server's config module fills it from
 * the environment; this module never reads `process.env` itself, so tests and
 * the CLI can build sources without touching globals:
 *
 * | option            | environment variable     |
 * | ----------------- | ------------------------ |
 * | unleashUrl        | `UNLEASH_URL`            |
 * | unleashApiToken   | `UNLEASH_API_TOKEN`      |
 * | unleashAppName    | `UNLEASH_APP_NAME`       |
 * | unleashRefreshMs  | `UNLEASH_REFRESH_MS`     |
 * | flagsFile         | `SWITCHYARD_FLAGS_FILE`  |
 */
export interface CreateFlagSourceOptions {
  /** Plan stage of every hosted service (each plan's `stage`); its keys are the services the source answers for. Required. */
  defaults: Record<HostedId, Stage>;
  /** Flag name per service (each plan's `flag`). Default `switchyard.<service-id>`. */
  flagNames?: Partial<Record<HostedId, string>>;
  /** Unleash API base, e.g. `http://unleash:4242/api`. When set, Unleash is the source. Default: unset. */
  unleashUrl?: string;
  /** Unleash client API token (the `Authorization` header). Default: none. */
  unleashApiToken?: string;
  /** SDK app name. Default `'switchyard'`. */
  unleashAppName?: string;
  /** Unleash poll interval in ms. Default 5000. */
  unleashRefreshMs?: number;
  /** Unleash environment in the SDK's static context. Default: the SDK's `'default'`. */
  unleashEnvironment?: string;
  /** Do not send usage metrics to Unleash. Default false. */
  unleashDisableMetrics?: boolean;
  /** How long start() waits for Unleash's first answer, in ms. Default 5000. */
  unleashStartTimeoutMs?: number;
  /** Path of the local flags file; used when `unleashUrl` is unset. Default: unset. */
  flagsFile?: string;
  /** Poll the flags file at this interval (ms) instead of watching its directory. Default: unset (watch). */
  flagsFilePollMs?: number;
  /** Logger for sync failures and invalid files. Default: silent. */
  logger?: FlagLogger;
  /** Where Unleash's last delivered flags are kept for a restart without it (state file or Redis). Default: none. */
  lastKnown?: LastKnownStore;
}

/**
 * Builds the process's one flag source: Unleash when `unleashUrl` is given,
 * else the flags file when `flagsFile` is given, else the plan stages; always
 * wrapped in an {@link OverrideFlagSource} so the admin API can override any
 * of them. Call `start()` on the result before serving.
 */
export function createFlagSource(options: CreateFlagSourceOptions): OverrideFlagSource {
  const { defaults, flagNames, logger } = options;
  if (options.unleashUrl) {
    return new OverrideFlagSource(
      new LazyUnleashFlagSource({
        url: options.unleashUrl,
        defaults,
        flagNames,
        logger,
        apiToken: options.unleashApiToken,
        appName: options.unleashAppName,
        refreshInterval: options.unleashRefreshMs,
        environment: options.unleashEnvironment,
        disableMetrics: options.unleashDisableMetrics,
        startTimeout: options.unleashStartTimeoutMs,
        lastKnown: options.lastKnown,
      }),
      Object.keys(defaults),
    );
  }
  if (options.flagsFile) {
    const poll = options.flagsFilePollMs !== undefined;
    return new OverrideFlagSource(
      new FileFlagSource({
        path: options.flagsFile,
        defaults,
        flagNames,
        logger,
        mode: poll ? 'poll' : 'watch',
        pollIntervalMs: options.flagsFilePollMs,
      }),
      Object.keys(defaults),
    );
  }
  return new OverrideFlagSource(new PlanFlagSource({ defaults }), Object.keys(defaults));
}
