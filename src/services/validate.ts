import type { z } from 'zod';
import { SwitchyardError } from '../errors/catalogue.js';

/**
 * Validate untrusted input (a Socket.IO payload or a REST body) and return it
 * typed; on failure throw INVALID_PAYLOAD naming the first bad field, which
 * each surface turns into its own answer (ack error, 400).
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.length > 0 ? issue.path.join('.') : '(payload)';
  throw new SwitchyardError('INVALID_PAYLOAD', `${what}: ${field}: ${issue.message}`, { field });
}
