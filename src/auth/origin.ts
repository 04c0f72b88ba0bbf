/**
 * The Origin allowlist (`SWITCHYARD_ALLOWED_ORIGINS`). Unset means any origin.
 * A request without an Origin header is not from a browser page and passes;
 * so does a same-origin request (the console page calling its own server).
 */
export class OriginPolicy {
  readonly #allowed: ReadonlySet<string> | undefined;

  constructor(allowed: readonly string[] | undefined) {
    this.#allowed = allowed && allowed.length > 0 ? new Set(allowed.map(normalise)) : undefined;
  }

  get restricted(): boolean {
    return this.#allowed !== undefined;
  }

  allows(origin: string | undefined, host?: string): boolean {
    if (!this.#allowed || origin === undefined || origin === '') return true;
    const normal = normalise(origin);
    if (this.#allowed.has(normal)) return true;
    return host !== undefined && sameOrigin(normal, host);
  }
}

/** Origins compare by scheme, host and port, lowercased, without a trailing slash. */
function normalise(origin: string): string {
  try {
    return new URL(origin.trim()).origin;
  } catch {
    return origin.trim().toLowerCase();
  }
}

function sameOrigin(origin: string, host: string): boolean {
  try {
    return new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}

/** `a.example, https://b.example` → a list, blanks dropped. */
export function parseOriginList(value: string | undefined): string[] | undefined {
  const list = value?.split(',').map((s) => s.trim()).filter((s) => s !== '');
  return list && list.length > 0 ? list : undefined;
}
