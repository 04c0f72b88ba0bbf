/**
 * Entities as JSON in Redis. Domains keep some state in Sets and Maps (chat's
 * seen message ids, a project's tasks); they are written with a marker and
 * read back as what they were, so the domains need not change their types.
 * Key order is kept (JSON preserves it), which the legacy wire depends on.
 */
const SET = '$switchyard:set';
const MAP = '$switchyard:map';

export function encodeEntity(value: unknown): string {
  return JSON.stringify(value, (_key, held: unknown) => {
    if (held instanceof Set) return { [SET]: [...held] };
    if (held instanceof Map) return { [MAP]: [...held] };
    return held;
  });
}

export function reviveEntity(_key: string, held: unknown): unknown {
  if (typeof held !== 'object' || held === null || Array.isArray(held)) return held;
  const record = held as Record<string, unknown>;
  if (Array.isArray(record[SET])) return new Set(record[SET]);
  if (Array.isArray(record[MAP])) return new Map(record[MAP] as Array<[unknown, unknown]>);
  return held;
}

export function decodeEntity(json: string): unknown {
  return JSON.parse(json, reviveEntity);
}
