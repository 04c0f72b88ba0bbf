import type { CreationStart, ProjectCreationDomain } from './domain.js';
import type { ProjectProgress } from './events.js';
import type { ProjectInput, ProjectStore } from './projects.js';

/** Project fields the legacy `POST /api/projects` accepted besides title, description and repo. */
export type ProjectExtras = Omit<ProjectInput, 'id' | 'title' | 'description' | 'github_repo'>;

/**
 * The steps of the legacy `_create_project_background` after `start_creation`
 * (legacy.md §7), with the log lines of legacy-frames.json. The project is
 * stored at the last step, whose update carries `project_id` and `project`.
 */
const STEPS = [
  { percentage: 30, step: 'database_setup', log: '\u{1F5C4}\uFE0F Setting up project database...' },
  { percentage: 50, step: 'processing_requirements', log: '\u{1F9E0} AI is analyzing project requirements...' },
  { percentage: 70, step: 'ai_generation', log: '\u2728 AI is creating project documentation...' },
  { percentage: 85, step: 'finalizing', log: '\u{1F4DD} Successfully created project documentation' },
] as const;

/**
 * Runs simulated creation flows: the default flow behind the legacy
 * `POST /api/projects`, one step every `stepMs`.
 *
 * Quirk kept on purpose (legacy.md §7, §11.6): the flow never calls
 * `complete()`/`fail()`, so `status` stays `"starting"` and the frames stay
 * `project_progress` even at 100 % (`step: "completed"`). Producers that want
 * `project_completed`/`project_error` use the producer API instead.
 */
export class CreationFlows {
  readonly #domain: ProjectCreationDomain;
  readonly #projects: ProjectStore;
  readonly #stepMs: number;
  readonly #timers = new Set<NodeJS.Timeout>();

  /** @param stepMs delay between steps; default 400 ms (the legacy flow took seconds, mostly AI time). */
  constructor(domain: ProjectCreationDomain, projects: ProjectStore, stepMs = 400) {
    this.#domain = domain;
    this.#projects = projects;
    this.#stepMs = stepMs;
  }

  /** Start tracking (the state is there at once, as after `start_creation`) and run the steps in the background. */
  start(input: CreationStart, extras: ProjectExtras = {}, stepMs = this.#stepMs): ProjectProgress {
    const started = this.#domain.start(input);
    this.#next(started.progressId, { ...input, ...extras }, 0, stepMs);
    return started;
  }

  /** Stop every running flow (server shutdown, demo stop). */
  close(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }

  #next(progressId: string, input: CreationStart & ProjectExtras, index: number, stepMs: number): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.#step(progressId, input, index);
      if (index < STEPS.length) this.#next(progressId, input, index + 1, stepMs);
    }, stepMs);
    timer.unref();
    this.#timers.add(timer);
  }

  #step(progressId: string, input: CreationStart & ProjectExtras, index: number): void {
    if (!this.#domain.get(progressId)) return; // forgotten meanwhile
    const step = STEPS[index];
    if (step) {
      this.#domain.update(progressId, { ...step });
      return;
    }
    try {
      const { progressId: _progressId, ...fields } = input;
      const project = this.#projects.create(fields);
      this.#domain.update(progressId, {
        percentage: 100,
        step: 'completed',
        log: `\u{1F389} Project "${input.title}" created successfully!`,
        project_id: project.id,
        project,
      });
    } catch (error) {
      // The legacy failure frame: 0 %, step `failed`, status still `starting`.
      this.#domain.update(progressId, {
        percentage: 0,
        step: 'failed',
        log: `\u274C Project creation failed: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
  }
}
