/**
 * How the drill moves a service: through the admin override (the emergency
 * switch every Switchyard has), or through Unleash's admin API, the way a
 * release manager would, followed by a flag refresh on the node.
 */
import type { AdminClient, StagesAnswer } from '../operator/admin-client.js';
import { CliExit, EXIT } from '../operator/exit-codes.js';

export interface StageDriver {
  readonly via: 'override' | 'unleash';
  /** Move the service to `stage` now. */
  set(service: string, stage: string): Promise<void>;
  /** Put back what was in force before the drill. */
  restore(service: string): Promise<void>;
}

/** Through `PUT/DELETE /api/admin/stages/:service`; restores the previous override, or clears it. */
export class OverrideDriver implements StageDriver {
  readonly via = 'override' as const;
  readonly #before = new Map<string, string | null>();

  constructor(private readonly admin: AdminClient, stages: StagesAnswer) {
    for (const s of stages.services) this.#before.set(s.service, s.override);
  }

  async set(service: string, stage: string): Promise<void> {
    await this.admin.setStage(service, stage);
  }

  async restore(service: string): Promise<void> {
    const before = this.#before.get(service) ?? null;
    if (before === null) await this.admin.clearStage(service);
    else await this.admin.setStage(service, before);
  }
}

/** Longest wait for a flag change made in Unleash to reach the node. */
const UNLEASH_VISIBLE_MS = 15_000;

export interface UnleashSettings {
  url: string;
  token: string;
  project: string;
  environment: string;
}

/** The Unleash admin API settings from the environment, or a clear refusal naming what is missing. */
export function unleashSettings(env: NodeJS.ProcessEnv): UnleashSettings {
  const url = env.SWITCHYARD_DRILL_UNLEASH_URL;
  const token = env.SWITCHYARD_DRILL_UNLEASH_TOKEN;
  if (!url || !token) {
    throw new CliExit(EXIT.COULD_NOT_RUN, '--via unleash needs SWITCHYARD_DRILL_UNLEASH_URL (the Unleash server, e.g. http://unleash:4242) and SWITCHYARD_DRILL_UNLEASH_TOKEN (an admin API token) in the environment');
  }
  return { url: url.replace(/\/+$/, '').replace(/\/api$/, ''), token, project: env.SWITCHYARD_DRILL_UNLEASH_PROJECT ?? 'default', environment: env.SWITCHYARD_DRILL_UNLEASH_ENVIRONMENT ?? 'development' };
}

/**
 * Through Unleash: cut-over turns the service's release flag on in the
 * environment, rollback turns it off; each change is followed by
 * `POST /api/admin/flags/refresh` on the node so it applies at once. The
 * flag's strategy must give `socketio` when on (no variant, or a `socketio`
 * variant) and the service must have no admin override (it would win).
 */
export class UnleashDriver implements StageDriver {
  readonly via = 'unleash' as const;
  readonly #before = new Map<string, boolean>();
  readonly #flags = new Map<string, string>();

  constructor(private readonly admin: AdminClient, private readonly settings: UnleashSettings, stages: StagesAnswer) {
    if (stages.flags.kind !== 'unleash') {
      throw new CliExit(EXIT.COULD_NOT_RUN, `--via unleash: ${admin.base} takes its stages from "${stages.flags.kind}", not Unleash (start it with UNLEASH_URL)`);
    }
    for (const s of stages.services) this.#flags.set(s.service, s.flag);
  }

  /** Read each flag's current state (to restore it), refusing services an override pins. */
  async prepare(stages: StagesAnswer, services: readonly string[]): Promise<void> {
    for (const service of services) {
      const s = stages.services.find((x) => x.service === service)!;
      if (s.override !== null) throw new CliExit(EXIT.COULD_NOT_RUN, `--via unleash: ${service} has an admin override (${s.override}) that would win over Unleash; clear it first (switchyard stages clear ${service})`);
      const feature = await this.#call<{ environments?: Array<{ name: string; enabled: boolean }> }>('GET', this.#featurePath(service));
      const env = feature.environments?.find((e) => e.name === this.settings.environment);
      if (!env) throw new CliExit(EXIT.COULD_NOT_RUN, `--via unleash: flag ${s.flag} has no environment "${this.settings.environment}" (SWITCHYARD_DRILL_UNLEASH_ENVIRONMENT)`);
      this.#before.set(service, env.enabled);
    }
  }

  async set(service: string, stage: string): Promise<void> {
    await this.#toggle(service, stage !== 'legacy');
  }

  async restore(service: string): Promise<void> {
    const before = this.#before.get(service);
    if (before !== undefined) await this.#toggle(service, before);
  }

  async #toggle(service: string, on: boolean): Promise<void> {
    await this.#call('POST', `${this.#featurePath(service)}/environments/${encodeURIComponent(this.settings.environment)}/${on ? 'on' : 'off'}`);
    // Unleash serves a change to clients only once it recomputes its revision (about a second), so one refresh
    // may still read the old state: refresh until the node reports the new stage (bounded).
    const deadline = Date.now() + UNLEASH_VISIBLE_MS;
    for (;;) {
      await this.admin.refreshFlags();
      const stage = (await this.admin.stages()).services.find((s) => s.service === service)?.stage;
      if (on ? stage !== 'legacy' : stage === 'legacy') return;
      if (Date.now() > deadline) throw new Error(`Unleash flag ${this.#flags.get(service)} turned ${on ? 'on' : 'off'}, but ${service} is still on ${stage} after ${UNLEASH_VISIBLE_MS} ms of refreshes`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  #featurePath(service: string): string {
    return `/api/admin/projects/${encodeURIComponent(this.settings.project)}/features/${encodeURIComponent(this.#flags.get(service) ?? service)}`;
  }

  async #call<T>(method: string, path: string): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.settings.url + path, { method, headers: { authorization: this.settings.token, 'content-type': 'application/json' }, signal: AbortSignal.timeout(10_000) });
    } catch (error) {
      throw new CliExit(EXIT.COULD_NOT_RUN, `cannot reach Unleash at ${this.settings.url}: ${(error as Error).message}`);
    }
    const text = await res.text();
    if (!res.ok) throw new CliExit(EXIT.COULD_NOT_RUN, `Unleash ${method} ${path} answered ${res.status}: ${text.slice(0, 200)}`);
    return (text ? JSON.parse(text) : {}) as T;
  }
}
