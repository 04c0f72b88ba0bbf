import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../../src/server/config.js';

describe('SWITCHYARD_ADMIN_TOKENS', () => {
  let stderr: ReturnType<typeof vi.spyOn>;
  beforeEach(() => {
    stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  });
  afterEach(() => {
    stderr.mockRestore();
  });
  const written = (): string => stderr.mock.calls.map((call: unknown[]) => String(call[0])).join('');

  it('reads named tokens from the environment', () => {
    const config = parseConfig([], { SWITCHYARD_ADMIN_TOKENS: 'alice:tokenA, bob:tok:en:B,' });
    expect(config.adminTokens).toEqual({ alice: 'tokenA', bob: 'tok:en:B' });
  });

  it('leaves them unset when the variable is absent or empty', () => {
    expect(parseConfig([], {}).adminTokens).toBeUndefined();
    expect(parseConfig([], { SWITCHYARD_ADMIN_TOKENS: ' ' }).adminTokens).toBeUndefined();
  });

  it.each([
    ['an entry without a name', 'tokenA'],
    ['an empty token', 'alice:'],
    ['a name with spaces', 'al ice:tokenA'],
    ['a repeated name', 'alice:tokenA,alice:tokenB'],
    ['one token under two names', 'alice:same,bob:same'],
  ])('is a usage error (exit 2) for %s, without echoing any token', (_, value) => {
    expect(() => parseConfig([], { SWITCHYARD_ADMIN_TOKENS: value })).toThrow(expect.objectContaining({ exitCode: 2 }));
    expect(written()).toContain('SWITCHYARD_ADMIN_TOKENS');
    expect(written()).not.toContain('tokenA');
    expect(written()).not.toContain('same');
  });

  it('refuses the name admin beside SWITCHYARD_ADMIN_TOKEN, which acts as admin', () => {
    expect(() => parseConfig([], { SWITCHYARD_ADMIN_TOKEN: 't0', SWITCHYARD_ADMIN_TOKENS: 'admin:t1' })).toThrow(expect.objectContaining({ exitCode: 2 }));
  });
});
