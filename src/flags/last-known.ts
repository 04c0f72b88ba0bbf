import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ClientFeaturesResponse } from 'unleash-client';

/** The flags Unleash last delivered, as its API answered them, and when they were saved. */
export interface LastKnownFlags {
  savedAt: number;
  response: ClientFeaturesResponse;
}

/**
 * Where the flags Unleash last delivered are kept, so that a restart while
 * Unleash is unreachable serves them instead of the plans' stages: a local
 * state file in embedded mode, Redis in cluster mode (src/cluster/).
 * `describe` names the place for /ready and the logs.
 */
export interface LastKnownStore {
  readonly describe: string;
  /** Never rejects: a store that cannot be read holds nothing. */
  load(): Promise<LastKnownFlags | undefined>;
  /** Rejects when the flags could not be saved; the caller logs it. */
  save(flags: LastKnownFlags): Promise<void>;
}

/** The state file's shape: one key per kind of state, so more can join it later. */
interface StateFile {
  unleash?: LastKnownFlags;
}

/**
 * The embedded mode's store: a JSON state file (default `.switchyard/state.json`),
 * written to a temporary name and renamed over, so a crash mid-write leaves
 * the previous content intact.
 */
export class FileLastKnownStore implements LastKnownStore {
  readonly #path: string;

  constructor(path: string) {
    this.#path = path;
  }

  get describe(): string {
    return `state file ${this.#path}`;
  }

  async load(): Promise<LastKnownFlags | undefined> {
    try {
      const state = JSON.parse(await readFile(this.#path, 'utf8')) as StateFile;
      return isLastKnown(state.unleash) ? state.unleash : undefined;
    } catch {
      return undefined;
    }
  }

  async save(flags: LastKnownFlags): Promise<void> {
    await mkdir(dirname(this.#path), { recursive: true });
    const temporary = `${this.#path}.${process.pid}.tmp`;
    await writeFile(temporary, `${JSON.stringify({ unleash: flags } satisfies StateFile, null, 2)}\n`, 'utf8');
    await rename(temporary, this.#path);
  }
}

/** A saved value is trusted only as far as the SDK needs it: a features array. */
export function isLastKnown(value: unknown): value is LastKnownFlags {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<LastKnownFlags>;
  return typeof candidate.savedAt === 'number' && typeof candidate.response === 'object' && candidate.response !== null
    && Array.isArray((candidate.response as { features?: unknown }).features);
}
