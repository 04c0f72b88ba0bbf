import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { FlagSource } from '../flags/flag-source.js';
import type { Limits } from '../transport/limits.js';

/**
 * The one line a production start logs once the server listens: the version
 * that runs, where the stages come from, and the limits in force, so an
 * operator reading the logs of an incident knows what was running and how it
 * was bounded without reconstructing flags and environment.
 */
export interface StartupSummaryInput {
  flags: Pick<FlagSource, 'kind'>;
  limits: Readonly<Limits>;
  /** Where the flags are read: the flags file's path or the Unleash URL. Default: none (plan stages). */
  flagsLocation?: string;
}

export interface StartupSummary {
  version: string;
  node: string;
  flags: { source: FlagSource['kind']; location?: string };
  limits: Limits;
}

let cachedVersion: string | undefined;

/**
 * This package's version, from its package.json: two directories above this
 * file in the sources (src/server/), three in the build (dist/src/server/).
 */
export function packageVersion(): string {
  if (cachedVersion) return cachedVersion;
  for (const up of ['../../package.json', '../../../package.json']) {
    try {
      const manifest = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (manifest.name === 'switchyard' && manifest.version) return (cachedVersion = manifest.version);
    } catch {
      // Not this level: try the next one.
    }
  }
  return (cachedVersion = 'unknown');
}

/** Never log credentials that may sit in a URL's userinfo or query (an Unleash URL). */
function redact(location: string): string {
  try {
    const url = new URL(location);
    url.username = '';
    url.password = '';
    url.search = '';
    return url.href;
  } catch {
    return location;
  }
}

const unlimited = (n: number): string => (n === 0 ? 'unlimited' : String(n));
const bytes = (n: number): string => (n % (1024 * 1024) === 0 ? `${n / (1024 * 1024)} MiB` : n % 1024 === 0 ? `${n / 1024} KiB` : `${n} B`);

export function startupSummary(input: StartupSummaryInput): { fields: StartupSummary; message: string } {
  const { limits } = input;
  const location = input.flagsLocation ? redact(input.flagsLocation) : undefined;
  const fields: StartupSummary = {
    version: packageVersion(),
    node: process.version,
    flags: { source: input.flags.kind, ...(location ? { location } : {}) },
    limits: { ...limits },
  };
  const message =
    `switchyard ${fields.version} (node ${fields.node}); flags: ${fields.flags.source}${location ? ` ${location}` : ''}; ` +
    `limits: connections/address ${unlimited(limits.connectionsPerAddress)}, ` +
    `messages/s per connection ${unlimited(limits.messagesPerSecond)} (burst ${limits.messageBurst}), ` +
    `producer requests/s ${unlimited(limits.producerRequestsPerSecond)} (burst ${limits.producerBurst}), ` +
    `legacy frame ${bytes(limits.legacyMaxPayload)}, Socket.IO message ${bytes(limits.socketIoMaxPayload)}, REST body ${bytes(limits.restMaxBody)}, ` +
    `legacy buffer ${bytes(limits.legacySoftBuffer)} soft / ${bytes(limits.legacyHardBuffer)} hard, Socket.IO buffer ${bytes(limits.socketIoHardBuffer)}`;
  return { fields, message };
}

/** Logs {@link startupSummary} as one info line (structured fields and a readable message). */
export function logStartupSummary(logger: Pick<Logger, 'info'>, input: StartupSummaryInput): void {
  const { fields, message } = startupSummary(input);
  logger.info({ startup: fields }, message);
}
