/**
 * The local flags file: stages per service, edited by hand (or by a deploy
 * script) when Unleash is not in use, and picked up while Switchyard runs.
 *
 * Format (JSON):
 *
 * ```json
 * {
 *   "crawl-progress": "socketio",
 *   "agent-chat": { "stage": "legacy", "rollout": { "stage": "socketio", "percent": 25 } }
 * }
 * ```
 *
 * - Keys are service ids (see `src/services/ids.ts`); an unknown key makes the
 *   file invalid, so a typo cannot silently leave a service on its default.
 * - A value is a stage (`legacy | shadow | socketio | retired`) or
 *   `{ "stage", "rollout"? }`. A rollout puts a sticky `percent` (integer
 *   0..100) of clients on `rollout.stage` and the others on `stage`.
 * - Services not listed keep their plan stage. A missing file means "plan
 *   stages for all"; an invalid file is ignored (the last good content stays in
 *   force) and the source reports unhealthy until it is fixed.
 *
 * Stickiness is Unleash's own: a client is in the rollout when
 * `normalizedStrategyValue(clientId, flagName) <= percent`, the hash the
 * `flexibleRollout` strategy uses with `groupId` = flag name. So moving a
 * rollout from this file to Unleash (same flag name, same percent,
 * `stickiness: clientId`) keeps every client where it was.
 */
import { EventEmitter } from 'node:events';
import { watch, watchFile, unwatchFile, type FSWatcher, type Stats } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
// Deep import on purpose: unleash-client has no "exports" map, and this is the
// exact function its flexibleRollout strategy calls (lib/strategy/util.js).
import { normalizedStrategyValue } from 'unleash-client/lib/strategy/util.js';
import { z } from 'zod';
import { SERVICE_IDS, type ServiceId } from '../registry/contracts.js';
import type { FlagContext, FlagSource, FlagSourceStatus } from './flag-source.js';
import { resolveFlagNames, silentFlagLogger, type FlagLogger } from './plan-flag-source.js';
import { STAGES, type Stage } from './stage.js';

const stageSchema = z.enum(STAGES);
const entrySchema = z.preprocess(
  // The short form is rewritten first so that every error has a precise path
  // (a union would only say "invalid input" at the service key).
  (value) => (typeof value === 'string' ? { stage: value } : value),
  z.strictObject({
    stage: stageSchema,
    rollout: z.strictObject({ stage: stageSchema, percent: z.number().int().min(0).max(100) }).optional(),
  }),
);
/** The schema of the flags file (see the module comment). */
export const flagsFileSchema = z.partialRecord(z.enum(SERVICE_IDS), entrySchema);
export type FlagsFile = z.infer<typeof flagsFileSchema>;

/** One service's effective entry, normalised so that equal meaning means equal JSON. */
interface Entry {
  stage: Stage;
  rollout?: { stage: Stage; percent: number };
}

export interface FileFlagSourceOptions {
  /** Path of the JSON flags file. Need not exist. Required. */
  path: string;
  /** Plan stage of each service, for services the file does not list. Required. */
  defaults: Record<ServiceId, Stage>;
  /** Flag name per service, the rollout hash's group id. Default `switchyard.<service-id>`. */
  flagNames?: Partial<Record<ServiceId, string>>;
  /**
   * `'watch'`: fs.watch on the file's directory (survives editors that replace
   * the file by rename), falling back to polling if the directory cannot be
   * watched. `'poll'`: fs.watchFile, for network file systems where inotify
   * sees nothing. Default `'watch'`.
   */
  mode?: 'watch' | 'poll';
  /** Quiet time after the last directory event before re-reading, in ms. Default 50. */
  debounceMs?: number;
  /** Poll interval in `'poll'` mode (and the fallback), in ms. Default 1000. */
  pollIntervalMs?: number;
  /** Where invalid files and watch failures are reported. Default: silent. */
  logger?: FlagLogger;
}

/** Flags from a watched local JSON file, with sticky percentage rollouts. */
export class FileFlagSource extends EventEmitter implements FlagSource {
  readonly kind = 'file' as const;
  readonly #path: string;
  readonly #defaults: Readonly<Record<ServiceId, Stage>>;
  readonly #flagNames: Record<ServiceId, string>;
  readonly #mode: 'watch' | 'poll';
  readonly #debounceMs: number;
  readonly #pollIntervalMs: number;
  readonly #logger: FlagLogger;

  #entries: Record<ServiceId, Entry>;
  #fingerprint: string;
  #status: FlagSourceStatus = { kind: 'file', healthy: true };
  #watcher: FSWatcher | undefined;
  #polling = false;
  #debounce: NodeJS.Timeout | undefined;
  /** Reloads run one after another; a change during a reload queues one more. */
  #reloading: Promise<void> = Promise.resolve();
  #started: Promise<void> | undefined;
  #closed = false;

  constructor(options: FileFlagSourceOptions) {
    super();
    this.#path = resolve(options.path);
    this.#defaults = Object.freeze({ ...options.defaults });
    this.#flagNames = resolveFlagNames(options.flagNames);
    this.#mode = options.mode ?? 'watch';
    this.#debounceMs = options.debounceMs ?? 50;
    this.#pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.#logger = options.logger ?? silentFlagLogger;
    this.#entries = this.#effective({});
    this.#fingerprint = JSON.stringify(this.#entries);
  }

  stageFor(service: ServiceId, context: FlagContext): Stage {
    const entry = this.#entries[service];
    if (!entry.rollout) return entry.stage;
    // Same key order as the README's "Gradual rollout": client id, else address.
    const stickyId = context.clientId ?? context.remoteAddress;
    // Like Unleash's flexibleRollout: no stickiness id, no rollout.
    if (!stickyId) return entry.stage;
    const bucket = normalizedStrategyValue(stickyId, this.#flagNames[service]);
    return bucket <= entry.rollout.percent ? entry.rollout.stage : entry.stage;
  }

  /** The stage outside the rollout: what a client with no identity gets. */
  baseStage(service: ServiceId): Stage {
    return this.#entries[service].stage;
  }

  status(): FlagSourceStatus {
    return { ...this.#status };
  }

  rollout(service: ServiceId): { stage: Stage; percent: number } | undefined {
    const rollout = this.#entries[service].rollout;
    return rollout ? { ...rollout } : undefined;
  }

  /** Reads the file once and starts watching it. Never rejects. */
  start(): Promise<void> {
    this.#started ??= this.refresh().then(() => this.#watch());
    return this.#started;
  }

  /** Re-reads the file now. Never rejects: a bad file only changes `status()`. */
  refresh(): Promise<void> {
    // The catch keeps the chain alive: one unexpected failure must not wedge
    // every later reload.
    this.#reloading = this.#reloading
      .then(() => this.#reload())
      .catch((error: unknown) => this.#reject(`reload failed: ${errorMessage(error)}`));
    return this.#reloading;
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#debounce);
    this.#watcher?.close();
    this.#watcher = undefined;
    if (this.#polling) unwatchFile(this.#path, this.#onPoll);
    this.#polling = false;
    await this.#reloading;
  }

  async #reload(): Promise<void> {
    if (this.#closed) return;
    let text: string | undefined;
    try {
      text = await readFile(this.#path, 'utf8');
    } catch (error) {
      if (!isNotFound(error)) return this.#reject(`cannot read: ${errorMessage(error)}`);
      // A missing file is a valid configuration: plan stages for all.
    }
    let parsed: FlagsFile = {};
    if (text !== undefined) {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (error) {
        return this.#reject(`invalid JSON: ${errorMessage(error)}`);
      }
      const result = flagsFileSchema.safeParse(json);
      if (!result.success) {
        const issue = result.error.issues[0];
        const field = issue && issue.path.length > 0 ? issue.path.join('.') : '(top level)';
        return this.#reject(`field ${field}: ${issue?.message ?? 'invalid'}`);
      }
      parsed = result.data;
    }
    if (this.#closed) return;
    this.#setStatus({ kind: 'file', healthy: true, lastSyncAt: Date.now() });
    const entries = this.#effective(parsed);
    const fingerprint = JSON.stringify(entries);
    // Editors often write twice (truncate, then content) or touch the file
    // without changing it: only a different meaning is a change.
    if (fingerprint === this.#fingerprint) return;
    this.#entries = entries;
    this.#fingerprint = fingerprint;
    this.#logger.info({ path: this.#path, flags: entries }, 'flags file loaded');
    this.emit('changed');
  }

  /** Keeps the last good entries and reports why the file was not taken. */
  #reject(reason: string): void {
    if (this.#closed) return;
    const error = `${this.#path}: ${reason}`;
    if (this.#status.error !== error) {
      this.#logger.error({ path: this.#path, error }, 'flags file ignored; keeping the last good flags');
    }
    this.#setStatus({ ...this.#status, kind: 'file', healthy: false, error });
  }

  #effective(file: FlagsFile): Record<ServiceId, Entry> {
    const entries = {} as Record<ServiceId, Entry>;
    for (const service of SERVICE_IDS) {
      const listed = file[service];
      const stage = listed?.stage ?? this.#defaults[service];
      const rollout = listed?.rollout;
      // 0% or the same stage is no rollout; 100% is a plain stage.
      if (!rollout || rollout.percent === 0 || rollout.stage === stage) entries[service] = { stage };
      else if (rollout.percent === 100) entries[service] = { stage: rollout.stage };
      else entries[service] = { stage, rollout: { stage: rollout.stage, percent: rollout.percent } };
    }
    return entries;
  }

  #setStatus(next: FlagSourceStatus): void {
    const previous = this.#status;
    this.#status = next;
    if (previous.healthy !== next.healthy || previous.error !== next.error) this.emit('status', this.status());
  }

  #watch(): void {
    if (this.#closed) return;
    if (this.#mode === 'poll') return this.#poll();
    const name = basename(this.#path);
    try {
      // The directory, not the file: an editor that saves by writing a temp
      // file and renaming it over ours replaces the inode a file watch holds.
      this.#watcher = watch(dirname(this.#path), { persistent: false }, (_event, filename) => {
        if (filename === null || filename.toString() === name) this.#scheduleReload();
      });
    } catch (error) {
      this.#logger.warn({ path: this.#path, error: errorMessage(error) }, 'cannot watch the flags directory; polling');
      return this.#poll();
    }
    this.#watcher.on('error', (error: Error) => {
      // E.g. the directory was removed: keep going by polling the path.
      this.#logger.warn({ path: this.#path, error: error.message }, 'flags directory watch failed; polling');
      this.#watcher?.close();
      this.#watcher = undefined;
      this.#poll();
      this.#scheduleReload();
    });
  }

  #poll(): void {
    if (this.#closed || this.#polling) return;
    this.#polling = true;
    watchFile(this.#path, { interval: this.#pollIntervalMs, persistent: false }, this.#onPoll);
  }

  readonly #onPoll = (current: Stats, previous: Stats): void => {
    if (current.mtimeMs !== previous.mtimeMs || current.ino !== previous.ino || current.size !== previous.size) {
      this.#scheduleReload();
    }
  };

  #scheduleReload(): void {
    if (this.#closed) return;
    clearTimeout(this.#debounce);
    this.#debounce = setTimeout(() => void this.refresh(), this.#debounceMs);
  }
}

function isNotFound(error: unknown): boolean {
  return error instanceof Error && 'code' in error && error.code === 'ENOENT';
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
