import { EventEmitter } from 'node:events';
import { SERVICE_IDS, type ServiceId } from '../registry/contracts.js';
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
export function defaultFlagName(service: ServiceId): string {
  return `switchyard.${service}`;
}

/** Fills in {@link defaultFlagName} for every service the caller left out. */
export function resolveFlagNames(flagNames: Partial<Record<ServiceId, string>> = {}): Record<ServiceId, string> {
  const resolved = {} as Record<ServiceId, string>;
  for (const service of SERVICE_IDS) resolved[service] = flagNames[service] ?? defaultFlagName(service);
  return resolved;
}

export interface PlanFlagSourceOptions {
  /** The stage of each service as its migration plan states it (`plan.stage`). Required. */
  defaults: Record<ServiceId, Stage>;
}

/**
 * The stages written in the migration plans, and nothing else: what Switchyard
 * runs when neither Unleash nor a flags file is configured. It never changes,
 * so it never emits `'changed'`, and it is always healthy.
 */
export class PlanFlagSource extends EventEmitter implements FlagSource {
  readonly kind = 'plan' as const;
  readonly #defaults: Readonly<Record<ServiceId, Stage>>;
  readonly #loadedAt = Date.now();

  constructor(options: PlanFlagSourceOptions) {
    super();
    // A copy: the caller's object is the parsed plans, which others may hold.
    this.#defaults = Object.freeze({ ...options.defaults });
  }

  stageFor(service: ServiceId, _context: FlagContext): Stage {
    return this.#defaults[service];
  }

  baseStage(service: ServiceId): Stage {
    return this.#defaults[service];
  }

  status(): FlagSourceStatus {
    return { kind: this.kind, healthy: true, lastSyncAt: this.#loadedAt };
  }

  async start(): Promise<void> {}

  async refresh(): Promise<void> {}

  async close(): Promise<void> {}
}
