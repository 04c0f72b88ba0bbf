/**
 * The start-up line an operator reads in the logs: which version runs, where
 * its stages come from, and every limit in force, in one line, with no
 * credentials from a flags URL.
 */
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { logStartupSummary } from '../../../src/server/startup-summary.js';
import { DEFAULT_LIMITS } from '../../../src/transport/limits.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

function capture(): { logger: pino.Logger; lines: () => Record<string, unknown>[] } {
  let text = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines: () => text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('start-up summary', () => {
  it('logs the version, the flag source and the limits in one line', () => {
    const { logger, lines } = capture();
    logStartupSummary(logger, { flags: { kind: 'file' }, limits: { ...DEFAULT_LIMITS, connectionsPerAddress: 0 }, flagsLocation: 'switchyard.flags.json' });
    const logged = lines();
    expect(logged).toHaveLength(1);
    const [line] = logged;
    expect(line!.msg).toContain(`switchyard ${VERSION}`);
    expect(line!.msg).toContain('flags: file switchyard.flags.json');
    expect(line!.msg).toContain('connections/address unlimited');
    expect(line!.msg).toContain('messages/s per connection 50 (burst 100)');
    expect(line!.msg).toContain('legacy frame 64 KiB');
    expect(line!.startup).toMatchObject({ version: VERSION, flags: { source: 'file' }, limits: { connectionsPerAddress: 0, producerRequestsPerSecond: 1000 } });
  });

  it('names an Unleash URL without the credentials it may carry', () => {
    const { logger, lines } = capture();
    logStartupSummary(logger, { flags: { kind: 'unleash' }, limits: DEFAULT_LIMITS, flagsLocation: 'https://ops:secret@unleash.example/api?token=abc' });
    const [line] = lines();
    expect(line!.msg).toContain('flags: unleash https://unleash.example/api');
    expect(JSON.stringify(line)).not.toMatch(/secret|abc/);
  });
});
