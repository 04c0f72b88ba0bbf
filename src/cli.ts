#!/usr/bin/env -S npx tsx
/**
 * `npm start` / `switchyard`: run Switchyard on its embedded defaults (port
 * 8080, the stages of migrations-plan/, overridable by a watched
 * switchyard.flags.json), or as configured by flags and environment.
 */
import { pino } from 'pino';
import { loadPlans, PlanError } from './adapter/plan-loader.js';
import { createFlagSource } from './flags/index.js';
import type { Stage } from './flags/stage.js';
import { createSwitchyard } from './server/app.js';
import { parseConfig } from './server/config.js';
import type { ServiceId } from './services/ids.js';

async function main(): Promise<void> {
  let config;
  try {
    config = parseConfig(process.argv.slice(2), process.env);
  } catch (error) {
    const code = (error as { exitCode?: number }).exitCode;
    process.exit(typeof code === 'number' ? code : 2);
  }
  const logger = pino({
    level: config.logLevel,
    // Pretty in a terminal, JSON everywhere else (containers, files, pipes).
    ...(process.stdout.isTTY ? { transport: { target: 'pino-pretty', options: { colorize: true } } } : {}),
  });

  let plans;
  try {
    plans = await loadPlans(config.planDir);
  } catch (error) {
    if (error instanceof PlanError) {
      logger.fatal({ file: error.file, field: error.field }, error.message);
      process.exit(1);
    }
    throw error;
  }
  const defaults = Object.fromEntries([...plans].map(([id, plan]) => [id, plan.stage])) as Record<ServiceId, Stage>;
  const flagNames = Object.fromEntries([...plans].map(([id, plan]) => [id, plan.flag])) as Record<ServiceId, string>;
  const flagLogger = logger.child({ component: 'flags' });
  const flags = createFlagSource({
    defaults, flagNames,
    unleashUrl: config.unleashUrl,
    unleashApiToken: config.unleashApiToken,
    unleashAppName: config.unleashAppName,
    unleashRefreshMs: config.unleashRefreshMs,
    flagsFile: config.unleashUrl ? undefined : config.flagsFile,
    logger: flagLogger,
  });
  await flags.start();

  const sy = await createSwitchyard({
    planDir: config.planDir, logger, flags, adminToken: config.adminToken,
    retention: { maxEvents: config.historyEvents, maxAgeMs: config.historyMs, maxBytes: config.historyBytes, maxTotalBytes: config.historyTotalBytes },
  });
  const address = await sy.listen(config.port, config.host);
  const stops = config.demo ? [...sy.modules.values()].flatMap((m) => (m.demo ? [m.demo()] : [])) : [];
  logger.info({ port: address.port, host: address.address, demo: config.demo, flags: flags.status() }, `Switchyard listening on ${sy.url}`);
  if (!config.adminToken) logger.warn('SWITCHYARD_ADMIN_TOKEN is not set: the admin API refuses every request');

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    for (const stop of stops) stop();
    void sy.close()
      .then(() => flags.close())
      .then(() => process.exit(0), (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

void main();
