import murmurhash3js from 'murmurhash3js';

/**
 * The bucket (1–100) of a client in a gradual rollout, as Unleash's SDKs
 * compute it for `flexibleRollout` (client specification, "normalizedValue"):
 * `murmurhash3.x86.hash32(groupId + ':' + id, 0) % 100 + 1`. The file source
 * uses it with the flag name as group id, so a client is in a file rollout of
 * N% exactly when it would be in an Unleash rollout of N% of the same flag.
 */
export function rolloutBucket(id: string, groupId: string): number {
  return (murmurhash3js.x86.hash32(`${groupId}:${id}`, 0) % 100) + 1;
}
