import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * A secret as it is kept and compared: its SHA-256 digest. Digests have one
 * length whatever was sent, so `timingSafeEqual` on them leaks neither the
 * length nor any prefix of the secret.
 */
export function secretDigest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Constant-time comparison of a given token with a digest from `secretDigest`. */
export function matchesDigest(given: Buffer, expected: Buffer): boolean {
  return timingSafeEqual(given, expected);
}

/** Constant-time token comparison (both sides hashed first). */
export function sameSecret(given: string, expected: string): boolean {
  return matchesDigest(secretDigest(given), secretDigest(expected));
}
