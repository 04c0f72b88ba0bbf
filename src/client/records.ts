/** Reading untrusted JSON off the wire without casts scattered through the SDK. */

/** `value` as a plain object, or undefined (null, arrays and primitives are not). */
export function record(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** A string field of a record, or undefined. */
export function stringField(fields: Record<string, unknown>, key: string): string | undefined {
  const value = Object.hasOwn(fields, key) ? fields[key] : undefined;
  return typeof value === 'string' ? value : undefined;
}
