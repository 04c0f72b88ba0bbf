import { CliExit, EXIT } from './exit-codes.js';

/** One service as `GET /api/admin/stages` describes it. */
export interface ServiceStage {
  service: string;
  stage: string;
  source: string;
  override: string | null;
  lastChange: string | null;
  flag: string;
  priority: string;
  phase: number;
  legacyPath: string;
  namespace: string;
  connections: { legacy: number; socketio: number };
}

export interface StagesAnswer {
  flags: { kind: string; healthy?: boolean } & Record<string, unknown>;
  lastSwitch: { at: number | string; durationMs: number; legacySwitched: number; socketIoDisconnected: number } | null;
  services: ServiceStage[];
}

export interface AuditEntry {
  at: string;
  service: string;
  from?: string;
  to?: string;
  source?: string;
  actor?: string;
  [key: string]: unknown;
}

/**
 * The admin API of a running Switchyard, as the operator commands use it: the
 * base URL from `--url`, the bearer token from `SWITCHYARD_ADMIN_TOKEN`
 * (never from argv, which `ps` shows). Every failure becomes a `CliExit`
 * with "could not run" and a sentence an operator can act on.
 */
export class AdminClient {
  readonly #base: string;
  readonly #token: string;

  constructor(url: string, token: string | undefined) {
    if (!token) throw new CliExit(EXIT.COULD_NOT_RUN, 'SWITCHYARD_ADMIN_TOKEN is not set: the admin API needs a bearer token (from the environment, not a flag)');
    this.#base = url.replace(/\/+$/, '');
    this.#token = token;
  }

  get base(): string {
    return this.#base;
  }

  stages(): Promise<StagesAnswer> {
    return this.#call<StagesAnswer>('GET', '/api/admin/stages');
  }

  setStage(service: string, stage: string): Promise<ServiceStage> {
    return this.#call<ServiceStage>('PUT', `/api/admin/stages/${encodeURIComponent(service)}`, { stage });
  }

  clearStage(service: string): Promise<ServiceStage> {
    return this.#call<ServiceStage>('DELETE', `/api/admin/stages/${encodeURIComponent(service)}`);
  }

  refreshFlags(): Promise<unknown> {
    return this.#call('POST', '/api/admin/flags/refresh');
  }

  async audit(service?: string): Promise<AuditEntry[]> {
    const query = service === undefined ? '' : `?service=${encodeURIComponent(service)}`;
    return (await this.#call<{ entries: AuditEntry[] }>('GET', `/api/admin/audit${query}`)).entries;
  }

  async #call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.#base + path, {
        method,
        headers: { authorization: `Bearer ${this.#token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (error) {
      throw new CliExit(EXIT.COULD_NOT_RUN, `cannot reach Switchyard at ${this.#base}: ${(error as Error).message}`);
    }
    const text = await res.text();
    if (res.status === 401) throw new CliExit(EXIT.COULD_NOT_RUN, `${this.#base} refused the admin token (401): check SWITCHYARD_ADMIN_TOKEN`);
    if (!res.ok) throw new CliExit(EXIT.COULD_NOT_RUN, `${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new CliExit(EXIT.COULD_NOT_RUN, `${method} ${path} did not answer JSON (is ${this.#base} a Switchyard?)`);
    }
  }
}
