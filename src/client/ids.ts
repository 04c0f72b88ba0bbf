/**
 * A random v4 UUID for message idempotency ids. `crypto.randomUUID` exists in
 * Node ≥ 19 and in browsers, but browsers only expose it in secure contexts
 * (https or localhost); a page served over plain http from another host falls
 * back to `getRandomValues`, which has no such restriction.
 */
export function newId(): string {
  const webCrypto = globalThis.crypto;
  if (typeof webCrypto.randomUUID === 'function') return webCrypto.randomUUID();
  const bytes = webCrypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x40; // version 4
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // RFC 4122 variant
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
