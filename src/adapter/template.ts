import type { Template } from './plan-schema.js';

/** What a template expression can read. */
export interface TemplateScope {
  /** The payload as `$payload` spreads it (already without `seq` and params keys). */
  payload: Readonly<Record<string, unknown>>;
  params: Readonly<Record<string, string>>;
  item?: unknown;
}

/** Marker for "leave this key out" (optional field absent). */
const ABSENT = Symbol('absent');

function readPath(root: unknown, path: string[]): unknown {
  let value: unknown = root;
  for (const key of path) {
    // Own properties only: `$payload.constructor` of a payload without one is absent, not Object.
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function evaluate(expression: string, scope: TemplateScope): unknown {
  const optional = expression.endsWith('?');
  const [head, ...path] = (optional ? expression.slice(0, -1) : expression).split('.');
  let value: unknown;
  switch (head) {
    case '$payload': value = readPath(scope.payload, path); break;
    case '$params': value = readPath(scope.params, path); break;
    case '$item': value = readPath(scope.item, path); break;
    default: throw new Error(`unknown template expression ${expression}`);
  }
  if (value === undefined) return optional ? ABSENT : null;
  return value;
}

function isExpression(value: string): boolean {
  return value.startsWith('$payload') || value.startsWith('$params') || value.startsWith('$item');
}

/** Render a template into a plain JSON value, keys in template order. */
export function render(template: Template, scope: TemplateScope): unknown {
  if (typeof template === 'string') return isExpression(template) ? evaluate(template, scope) : template;
  if (Array.isArray(template)) return template.map((t) => render(t, scope));
  if (template !== null && typeof template === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, sub] of Object.entries(template)) {
      const value = render(sub, scope);
      if (value !== ABSENT) out[key] = value;
    }
    return out;
  }
  return template;
}

/** Bindings found while matching a frame against a template. */
export interface MatchBindings {
  payload: Record<string, unknown>;
  items: unknown[];
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function bind(expression: string, value: unknown, out: MatchBindings): boolean {
  const optional = expression.endsWith('?');
  const [head, ...path] = (optional ? expression.slice(0, -1) : expression).split('.');
  if (head === '$params') return true; // comes from the connection, not the frame
  if (head === '$item') {
    out.items.push(value);
    return true;
  }
  if (path.length === 0) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
    // Defined, not assigned: a frame's own "__proto__" key (JSON.parse makes
    // one) must stay a plain key, never become the payload's prototype.
    for (const [key, field] of Object.entries(value)) {
      Object.defineProperty(out.payload, key, { value: field, enumerable: true, writable: true, configurable: true });
    }
    return true;
  }
  let target = out.payload;
  for (const key of path.slice(0, -1)) {
    const next = target[key];
    if (next === null || typeof next !== 'object') target[key] = {};
    target = target[key] as Record<string, unknown>;
  }
  target[path.at(-1)!] = value;
  return true;
}

/**
 * Match a decoded frame against a template. Literals must be equal; objects
 * must have exactly the template's keys (optional ones may be missing), so two
 * frames that share a `type` but differ in shape select different rows.
 */
export function match(template: Template, value: unknown, out: MatchBindings): boolean {
  if (typeof template === 'string' && isExpression(template)) return bind(template, value, out);
  if (Array.isArray(template)) {
    return Array.isArray(value) && value.length === template.length && template.every((t, i) => match(t, value[i], out));
  }
  if (template !== null && typeof template === 'object') {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
    const record = value as Record<string, unknown>;
    // Own keys on both sides: a frame key named like an Object.prototype member is still an unknown key.
    for (const key of Object.keys(record)) if (!Object.hasOwn(template, key)) return false;
    for (const [key, sub] of Object.entries(template)) {
      if (!Object.hasOwn(record, key)) {
        if (typeof sub === 'string' && isExpression(sub) && sub.endsWith('?')) continue;
        return false;
      }
      if (!match(sub, record[key], out)) return false;
    }
    return true;
  }
  return deepEqual(template, value);
}
