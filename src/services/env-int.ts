import { z } from 'zod';

const positive = z.coerce.number().int().positive();

/**
 * A positive integer from an environment variable (unset or empty keeps the
 * fallback); a malformed value stops start-up with a message naming it.
 */
export function envPositiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const parsed = positive.safeParse(raw);
  if (!parsed.success) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return parsed.data;
}
