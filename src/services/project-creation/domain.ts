import { randomBytes } from 'node:crypto';
import { pythonLocalIso } from '../../domain/clock.js';
import { SwitchyardError } from '../../errors/catalogue.js';
import type { ServiceContext } from '../service-module.js';
import { embeddedStore, type EntityMap } from '../../domain/entity-store.js';
import { assertCapacity, assertEntityBytes, ByteBudget, DEFAULT_STORAGE_LIMITS, type StorageLimits } from '../storage-limits.js';
import { creationRoom, progressEvent, type ProjectCreationState, type ProjectProgress } from './events.js';
import { publisherFor } from '../../domain/publisher.js';
import { projectCreation } from './contract.js';

/** Keys an update may not overwrite: they belong to the tracker. */
const RESERVED = new Set(['progressId', 'logs', 'start_time']);

/** The legacy manager kept only the last 50 log lines. */
const MAX_LOGS = 50;

export interface CreationStart {
  /** Default: 32 lowercase hex characters, like `secrets.token_hex(16)`. */
  progressId?: string;
  title: string;
  description?: string | null;
  github_repo?: string | null;
}

export interface ProjectCreationOptions {
  /** How long a completed creation stays tracked; the legacy manager waited 5 s. Default 5000. */
  completedRetentionMs?: number;
  /**
   * How long a creation nobody updates stays tracked. The legacy manager kept
   * them forever (the default flow never completes, legacy.md §7); Switchyard
   * bounds memory. Default 10 minutes.
   */
  idleRetentionMs?: number;
}

/** Python's `str(timedelta)`: `0:00:12.345678`, `1 day, 2:03:04`. */
export function pythonTimedelta(ms: number): string {
  const totalSeconds = Math.floor(ms / 1000);
  const days = Math.floor(totalSeconds / 86_400);
  const hours = Math.floor((totalSeconds % 86_400) / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  const micros = Math.round((ms - totalSeconds * 1000) * 1000);
  const clock = `${hours}:${String(minutes).padStart(2, '0')}:${String(seconds).padStart(2, '0')}`;
  const fraction = micros === 0 ? '' : `.${String(micros).padStart(6, '0')}`;
  return `${days > 0 ? `${days} day${days === 1 ? '' : 's'}, ` : ''}${clock}${fraction}`;
}

/**
 * Project creation progress, as the legacy `ProjectCreationProgressManager`
 * kept it: one flat state per creation, the last 50 logs, the whole state
 * re-sent on every change. Key order matters on the legacy wire: `update`
 * keeps existing keys in place and appends new ones (Python `dict.update`,
 * which JS object assignment shares).
 */
export class ProjectCreationDomain {
  readonly #ctx: ServiceContext;
  readonly #states: EntityMap<{ state: ProjectCreationState; readonly startedAt: number }>;
  readonly #cleanups = new Map<string, NodeJS.Timeout>();
  readonly #completedRetentionMs: number;
  readonly #idleRetentionMs: number;
  readonly #limits: StorageLimits;
  readonly #budget: ByteBudget;

  constructor(ctx: ServiceContext, options: ProjectCreationOptions = {}) {
    this.#ctx = ctx;
    this.#limits = ctx.storage ?? DEFAULT_STORAGE_LIMITS;
    this.#budget = new ByteBudget(this.#limits.serviceBytes, 'project creations');
    this.#completedRetentionMs = options.completedRetentionMs ?? 5000;
    // The service's own 10 minutes, or the server-wide idle TTL when that is shorter.
    this.#idleRetentionMs = options.idleRetentionMs ?? Math.min(10 * 60_000, this.#limits.idleTtlMs);
    this.#states = (ctx.store ?? embeddedStore).map('project-creation');
  }

  /** Creations tracked, for tests and metrics. */
  get size(): number {
    return this.#states.size;
  }

  /** The tracked state with `progressId` last, or undefined. */
  get(progressId: string): ProjectProgress | undefined {
    const entry = this.#states.get(progressId);
    return entry ? withId(structuredClone(entry.state), progressId) : undefined;
  }

  /** `start_creation`: status `starting`, 0 %, step `initialization`, then the title fields. */
  start(input: CreationStart): ProjectProgress {
    const progressId = input.progressId ?? randomBytes(16).toString('hex');
    if (this.#states.has(progressId)) throw new SwitchyardError('INVALID_PAYLOAD', `project creation ${progressId} already started`);
    assertCapacity(this.#states.size, this.#limits.maxEntities, 'project creations');
    const now = this.#ctx.clock();
    const state: ProjectCreationState = {
      status: 'starting',
      percentage: 0,
      start_time: pythonLocalIso(now),
      logs: ['\u{1F680} Starting project creation...'],
      step: 'initialization',
      title: input.title,
      description: input.description ?? '',
      github_repo: input.github_repo ?? null,
    };
    const bytes = assertEntityBytes(state, this.#limits.entityBytes, `project creation ${progressId}`);
    this.#budget.check(progressId, bytes);
    this.#budget.set(progressId, bytes);
    this.#states.set(progressId, { state, startedAt: now });
    return this.#publish(progressId, state);
  }

  /** `update_progress`: merge the fields; a `log` is also appended to `logs` (last 50 kept). */
  update(progressId: string, update: Record<string, unknown>): ProjectProgress {
    const state = this.#draft(progressId);
    for (const [key, value] of Object.entries(update)) {
      if (!RESERVED.has(key)) state[key] = value;
    }
    if (typeof update.log === 'string') {
      state.logs.push(update.log);
      if (state.logs.length > MAX_LOGS) state.logs = state.logs.slice(-MAX_LOGS);
    }
    return this.#publish(progressId, this.#commit(progressId, state));
  }

  /**
   * `complete_creation`: status `completed`, 100 %, step `finished`, the
   * success log (not appended to `logs`, as in the legacy code) and `duration`.
   * Published as `project_completed`; forgotten after the retention delay.
   */
  complete(progressId: string, data: Record<string, unknown> = {}): ProjectProgress {
    const { startedAt } = this.#require(progressId);
    const state = this.#draft(progressId);
    const completion: Record<string, unknown> = {
      ...data,
      status: 'completed',
      percentage: 100,
      step: 'finished',
      log: '\u2705 Project creation completed successfully!',
      duration: pythonTimedelta(this.#ctx.clock() - startedAt),
    };
    for (const [key, value] of Object.entries(completion)) if (!RESERVED.has(key)) state[key] = value;
    const sent = this.#publish(progressId, this.#commit(progressId, state));
    this.#scheduleCleanup(progressId, this.#completedRetentionMs);
    return sent;
  }

  /** `error_creation`: status `error`, `error`, the error log, step `failed`; published as `project_error`. */
  fail(progressId: string, error: string): ProjectProgress {
    const state = this.#draft(progressId);
    Object.assign(state, { status: 'error', error, log: `\u274C Error: ${error}`, step: 'failed' });
    return this.#publish(progressId, this.#commit(progressId, state));
  }

  close(): void {
    for (const timer of this.#cleanups.values()) clearTimeout(timer);
    this.#cleanups.clear();
  }

  /** A copy of the live state to change: committed only if it stays within the byte limit. */
  #draft(progressId: string): ProjectCreationState {
    const { state } = this.#require(progressId);
    return { ...state, logs: [...state.logs] };
  }

  /** Refuse an oversized state (413, nothing changed), else make it the live one. */
  #commit(progressId: string, state: ProjectCreationState): ProjectCreationState {
    const bytes = assertEntityBytes(state, this.#limits.entityBytes, `project creation ${progressId}`);
    this.#budget.check(progressId, bytes);
    this.#require(progressId).state = state;
    this.#budget.set(progressId, bytes);
    return state;
  }

  #require(progressId: string): { state: ProjectCreationState; startedAt: number } {
    const entry = this.#states.get(progressId);
    if (!entry) throw new SwitchyardError('NOT_FOUND', `unknown project creation ${progressId}`);
    return entry;
  }

  #publish(progressId: string, state: ProjectCreationState): ProjectProgress {
    // A copy: the event log keeps this version even as the live state moves on.
    const sent = withId(structuredClone(state), progressId);
    publisherFor(this.#ctx.hub, projectCreation).publish(creationRoom(progressId), progressEvent(state.status), sent);
    if (state.status !== 'completed') this.#scheduleCleanup(progressId, this.#idleRetentionMs);
    return sent;
  }

  #scheduleCleanup(progressId: string, afterMs: number): void {
    clearTimeout(this.#cleanups.get(progressId));
    const timer = setTimeout(() => {
      this.#states.delete(progressId);
      this.#budget.delete(progressId);
      this.#cleanups.delete(progressId);
      this.#ctx.hub.dropRoom(creationRoom(progressId));
    }, afterMs);
    timer.unref();
    this.#cleanups.set(progressId, timer);
  }
}

/** The state as sent: `progressId` appended last, like the legacy `_broadcast_progress`. */
function withId(state: ProjectCreationState, progressId: string): ProjectProgress {
  return { ...state, progressId };
}
