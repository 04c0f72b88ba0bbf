import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERRORS, SwitchyardError, type ErrorCode } from '../../../src/errors/catalogue.js';
import { toAckError, toClose, toConnectError, toHttp } from '../../../src/errors/surfaces.js';

const codes = Object.keys(ERRORS) as ErrorCode[];

describe('error catalogue', () => {
  it.each(codes)('%s has a mapping on all three surfaces', (code) => {
    const error = new SwitchyardError(code, 'something specific', { extra: 1 });
    const close = toClose(error);
    expect(close.code).toBe(ERRORS[code].closeCode);
    expect(Buffer.byteLength(close.reason)).toBeLessThanOrEqual(123);
    expect(toAckError(error)).toMatchObject({ ok: false, error: { code, extra: 1 } });
    expect(toConnectError(error).data).toMatchObject({ code, extra: 1 });
    expect(toHttp(error).status).toBe(ERRORS[code].httpStatus);
  });

  it('follows the close-code range rule: 4000–4499 terminal, 4500–4999 retry', () => {
    for (const code of codes) {
      const { closeCode, retry } = ERRORS[code];
      if (closeCode >= 4000 && closeCode < 4500) expect([code, retry]).toEqual([code, false]);
      if (closeCode >= 4500 && closeCode < 5000) expect([code, retry]).toEqual([code, true]);
    }
  });

  it('hides the message of unexposed errors and of anything unexpected', () => {
    expect(toAckError(new Error('secret detail')).error).toEqual({ code: 'INTERNAL', message: 'internal' });
    expect(toHttp(new SwitchyardError('SLOW_CONSUMER', 'buffer 9000000')).body.error.message).toBe('slow consumer');
  });

  it('documents every code in the README', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    for (const code of codes) expect(readme, code).toContain(`\`${code}\``);
  });
});
