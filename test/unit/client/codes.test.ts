import { describe, expect, it } from 'vitest';
import { CLIENT_ERRORS, classifyClose, isFailureCode, isRetryable } from '../../../src/client/codes.js';
import { ERRORS } from '../../../src/errors/catalogue.js';

describe('close codes → reconnect policy', () => {
  const rows: Array<[number, string, boolean]> = [
    [1000, 'TRANSPORT_LOST', true],
    [1001, 'SHUTTING_DOWN', true],
    [1006, 'TRANSPORT_LOST', true],
    [1009, 'PAYLOAD_TOO_LARGE', false],
    [1011, 'INTERNAL', true],
    [4400, 'INVALID_PAYLOAD', false],
    [4404, 'NOT_FOUND', false],
    [4410, 'SERVICE_RETIRED', false],
    [4499, 'CONNECTION_REFUSED', false],
    [4503, 'SERVICE_ON_LEGACY', true],
    [4508, 'SLOW_CONSUMER', true],
    [4509, 'STAGE_CHANGED', true],
    [4777, 'TRANSPORT_LOST', true],
  ];
  it.each(rows)('%i → %s (retry %s)', (closeCode, code, retry) => {
    expect(classifyClose(closeCode)).toEqual({ code, retry });
  });

  it('follows the catalogue rule for every catalogued close code: 4000–4499 terminal, 4500–4999 reconnect', () => {
    for (const spec of Object.values(ERRORS)) {
      const { retry } = classifyClose(spec.closeCode);
      if (spec.closeCode >= 4000 && spec.closeCode < 4500) expect(retry).toBe(false);
      if (spec.closeCode >= 4500 && spec.closeCode < 5000) expect(retry).toBe(true);
    }
  });

  it('knows both catalogues', () => {
    expect(isRetryable('SERVICE_RETIRED')).toBe(false);
    expect(isRetryable('CONNECT_TIMEOUT')).toBe(true);
    for (const code of [...Object.keys(ERRORS), ...Object.keys(CLIENT_ERRORS)]) expect(isFailureCode(code)).toBe(true);
    expect(isFailureCode('NOPE')).toBe(false);
  });
});
