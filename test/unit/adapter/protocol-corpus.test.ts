/**
 * The legacy protocol corpus the tests read is kept in the repository
 * (test/fixtures/protocol/); when the shared protocol directory is checked out
 * beside it (../shared/protocol/), the copy must equal the original.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const FILES = ['legacy-frames.json'];
const shared = (file: string): string => fileURLToPath(new URL(`../../../../shared/protocol/${file}`, import.meta.url));
const local = (file: string): string => fileURLToPath(new URL(`../../fixtures/protocol/${file}`, import.meta.url));
const SHARED_PRESENT = existsSync(shared(FILES[0]!));

describe('protocol corpus', () => {
  it.each(FILES)('%s is in the repository', (file) => {
    expect(Object.keys(JSON.parse(readFileSync(local(file), 'utf8')) as object).length).toBeGreaterThan(0);
  });

  it.skipIf(!SHARED_PRESENT).each(FILES)('%s equals ../shared/protocol/ (skipped when that directory is absent)', (file) => {
    expect(JSON.parse(readFileSync(local(file), 'utf8'))).toEqual(JSON.parse(readFileSync(shared(file), 'utf8')));
  });
});
