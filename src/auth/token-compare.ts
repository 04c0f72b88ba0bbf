import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Constant-time token comparison: both sides are hashed first, so neither the
 * length nor any prefix of the secret leaks through timing.
 */
export function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
