/** Injected time source, so tests can pin it. Returns ms since epoch. */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

/**
 * Python's naive local `datetime.isoformat()`, the shape every legacy
 * server-made timestamp has (`2025-06-19T13:50:01.123456`). JavaScript time has
 * millisecond precision, so the last three digits are zeros; like Python, the
 * fraction is left out entirely when it is zero.
 */
export function pythonLocalIso(ms: number): string {
  const d = new Date(ms);
  const base = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  const millis = d.getMilliseconds();
  return millis === 0 ? base : `${base}.${pad(millis, 3)}000`;
}

/** Python's `datetime.utcnow().isoformat() + "Z"`, used by MCP log entries. */
export function pythonUtcIsoZ(ms: number): string {
  const d = new Date(ms);
  const base = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  const millis = d.getUTCMilliseconds();
  return millis === 0 ? `${base}Z` : `${base}.${pad(millis, 3)}000Z`;
}

/** PostgREST's timestamptz shape for database rows (`2025-06-19T18:20:00.41+00:00`). */
export function postgresIso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.?0*Z$/, '+00:00');
}
