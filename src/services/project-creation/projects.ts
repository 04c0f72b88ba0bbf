import { randomUUID } from 'node:crypto';
import { postgresIso } from '../../domain/clock.js';
import { SwitchyardError } from '../../errors/catalogue.js';
import type { ServiceContext } from '../service-module.js';
import { embeddedStore, type EntityMap } from '../../domain/entity-store.js';
import { assertCapacity, assertEntityBytes, DEFAULT_STORAGE_LIMITS, LIST_BYTES, type StorageLimits } from '../storage-limits.js';
import { PROJECT_LIST_ROOM, type ProjectRecord } from './events.js';
import { publisherFor } from '../../domain/publisher.js';
import { projectCreation } from './contract.js';

/** Fields a producer may set when creating a project (everything but the timestamps). */
export interface ProjectInput {
  id?: string;
  title: string;
  description?: string | null;
  github_repo?: string | null;
  prd?: Record<string, unknown>;
  docs?: unknown[];
  features?: Record<string, unknown>;
  data?: Record<string, unknown>;
  pinned?: boolean;
  color?: string;
  icon?: string;
  technical_sources?: string[];
  business_sources?: string[];
}

/** Fields an update may change. */
export type ProjectPatch = Partial<Omit<ProjectInput, 'id'>>;

/**
 * The project store, owned by project-creation (which creates projects). Every
 * create, update and delete publishes the whole list as `projects_update` to
 * the `project_list` room, as the legacy `/api/projects/stream` did after every
 * change (legacy.md §9). Rows keep the legacy table's column order.
 *
 * Bounded: at most `maxEntities` projects, each at most `entityBytes` as JSON,
 * and the whole list (what every change re-sends) at most `LIST_BYTES`.
 */
export class ProjectStore {
  readonly #ctx: ServiceContext;
  // Insertion order; the list is served newest first, like the legacy `order("created_at", desc=True)`.
  readonly #projects: EntityMap<ProjectRecord>;
  // Owned here: id → the project's JSON size, and their sum.
  readonly #bytes = new Map<string, number>();
  #totalBytes = 0;
  readonly #limits: StorageLimits;

  constructor(ctx: ServiceContext) {
    this.#ctx = ctx;
    this.#limits = ctx.storage ?? DEFAULT_STORAGE_LIMITS;
    this.#projects = (ctx.store ?? embeddedStore).map('projects');
  }

  get size(): number {
    return this.#projects.size;
  }

  /** All projects, newest first (copies). */
  list(): ProjectRecord[] {
    return [...this.#projects.values()].reverse().map((project) => structuredClone(project));
  }

  get(id: string): ProjectRecord | undefined {
    const project = this.#projects.get(id);
    return project ? structuredClone(project) : undefined;
  }

  create(input: ProjectInput): ProjectRecord {
    const id = input.id ?? randomUUID();
    if (this.#projects.has(id)) throw new SwitchyardError('INVALID_PAYLOAD', `project ${id} already exists`);
    assertCapacity(this.#projects.size, this.#limits.maxEntities, 'projects');
    const now = postgresIso(this.#ctx.clock());
    const project: ProjectRecord = {
      id,
      title: input.title,
      description: input.description ?? '',
      github_repo: input.github_repo ?? null,
      created_at: now,
      updated_at: now,
      prd: input.prd ?? {},
      docs: input.docs ?? [],
      features: input.features ?? {},
      data: input.data ?? {},
      pinned: input.pinned ?? false,
      color: input.color ?? 'blue',
      icon: input.icon ?? 'Briefcase',
      technical_sources: input.technical_sources ?? [],
      business_sources: input.business_sources ?? [],
    };
    this.#account(id, project);
    if (project.pinned) this.#unpinOthers(id);
    this.#projects.set(id, project);
    this.#publish();
    return structuredClone(project);
  }

  /** Change some fields; `updated_at` moves. Pinning one project unpins the others, as the legacy API did. */
  update(id: string, patch: ProjectPatch): ProjectRecord {
    const project = { ...this.#require(id) };
    const changes = Object.entries(patch).filter(([, value]) => value !== undefined);
    // Assignment keeps each column in its place, so the wire order never moves.
    Object.assign(project, Object.fromEntries(changes), patch.description === null ? { description: '' } : {});
    project.updated_at = postgresIso(this.#ctx.clock());
    this.#account(id, project);
    this.#projects.set(id, project);
    if (patch.pinned === true) this.#unpinOthers(id);
    this.#publish();
    return structuredClone(project);
  }

  remove(id: string): ProjectRecord {
    const project = this.#require(id);
    this.#projects.delete(id);
    this.#totalBytes -= this.#bytes.get(id) ?? 0;
    this.#bytes.delete(id);
    this.#publish();
    return project;
  }

  #require(id: string): ProjectRecord {
    const project = this.#projects.get(id);
    if (!project) throw new SwitchyardError('NOT_FOUND', `unknown project ${id}`);
    return project;
  }

  /** Refuse a project over its byte limit, or one that would overflow the list's; else record its size. */
  #account(id: string, project: ProjectRecord): void {
    assertEntityBytes(project, this.#limits.entityBytes, `project ${id}`);
    const bytes = Buffer.byteLength(JSON.stringify(project));
    const total = this.#totalBytes - (this.#bytes.get(id) ?? 0) + bytes;
    if (total > LIST_BYTES) throw new SwitchyardError('CAPACITY_EXCEEDED', `projects: the list would be ${total} bytes, at most ${LIST_BYTES}`, { limit: LIST_BYTES });
    this.#bytes.set(id, bytes);
    this.#totalBytes = total;
  }

  #unpinOthers(id: string): void {
    for (const other of this.#projects.values()) if (other.id !== id) other.pinned = false;
  }

  #publish(): void {
    publisherFor(this.#ctx.hub, projectCreation).publish(PROJECT_LIST_ROOM, 'projects_update', { projects: this.list() });
  }
}
