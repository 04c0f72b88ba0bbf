import { EventEmitter } from 'node:events';
import { SERVICE_IDS, type HostedId } from '../registry/contracts.js';
import type { FlagContext, FlagSource, FlagSourceStatus } from './flag-source.js';
import type { Stage } from './stage.js';

/**
 * The slice of a pino logger the flag sources use, so tests can pass a spy and
 * the server its pino instance (`pino()` satisfies it as is).
 */
export interface FlagLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

/** A logger that drops everything: the default of every flag source. */
export const silentFlagLogger: FlagLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/**
 * The feature-flag name of a service when its migration plan names none:
 * `switchyard.<service-id>`. Unleash flag names and the file source's
 * rollout hashing both use it, so the two agree on who is in a rollout.
 */
export function defaultFlagName(service: HostedId): string {
  return `switchyard.${service}`;
}

/**
 * Fills in {@link defaultFlagName} for every hosted service the caller left
 * out. The hosted services are the keys of a source's `defaults` (default: the
 * registry's).
 */
export function resolveFlagNames(
  flagNames: Partial<Record<HostedId, string>> = {},
  services: readonly HostedId[] = SERVICE_IDS,
): Record<HostedId, string> {
  const resolved: Record<HostedId, string> = {};
  for (const service of services) resolved[service] = flagNames[service] ?? defaultFlagName(service);
  return resolved;
}

/**
 * A service's stage in `defaults`; `legacy` for a service the source was not
 * given (as Unleash answers for an unknown flag: off, so the legacy side serves).
 */
export function defaultStage(defaults: Readonly<Record<HostedId, Stage>>, service: HostedId): Stage {
  return defaults[service] ?? 'legacy';
}

export interface PlanFlagSourceOptions {
  /** The stage of each service as its migration plan states it (`plan.stage`). Required. */
  defaults: Record<HostedId, Stage>;
}

/**
 * The stages written in the migration plans, and nothing else: what Switchyard
 * runs when neither Unleash nor a flags file is configured. It never changes,
 * so it never emits `'changed'`, and it is always healthy.
 */
export class PlanFlagSource extends EventEmitter implements FlagSource {
  readonly kind = 'plan' as const;
  readonly #defaults: Readonly<Record<HostedId, Stage>>;
  readonly #loadedAt = Date.now();

  constructor(options: PlanFlagSourceOptions) {
    super();
    // A copy: the caller's object is the parsed plans, which others may hold.
    this.#defaults = Object.freeze({ ...options.defaults });
  }

  stageFor(service: HostedId, _context: FlagContext): Stage {
    return defaultStage(this.#defaults, service);
  }

  baseStage(service: HostedId): Stage {
    return defaultStage(this.#defaults, service);
  }

  status(): FlagSourceStatus {
    return { kind: this.kind, healthy: true, lastSyncAt: this.#loadedAt };
  }

  async start(): Promise<void> {}

  async refresh(): Promise<void> {}

  async close(): Promise<void> {}
}
