/**
 * `switchyard serve` (the default command): run Switchyard on its embedded
 * defaults (port 8080, the stages of migrations-plan/, overridable by a
 * watched switchyard.flags.json), or as configured by flags and environment.
 */
import { pino } from 'pino';
import { loadPlans, PlanError } from '../adapter/plan-loader.js';
import { jwtVerifier } from '../auth/verifier.js';
import type { StageControl } from '../cluster/stage-control.js';
import { createFlagSource, FileLastKnownStore, type LastKnownStore } from '../flags/index.js';
import type { Stage } from '../flags/stage.js';
import { SwitchyardError } from '../errors/catalogue.js';
import { createSwitchyard } from '../server/app.js';
import { parseConfig } from '../server/config.js';
import { logStartupSummary } from '../server/startup-summary.js';
import type { ServiceId } from '../registry/contracts.js';

export async function serve(argv: readonly string[]): Promise<void> {
  let config;
  try {
    config = parseConfig(argv, process.env);
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
  // Cluster mode connects its stage control first: Unleash's last-known flags live in Redis.
  const cluster = config.redisUrl ? { redisUrl: config.redisUrl, prefix: config.redisPrefix, nodeId: config.nodeId } : undefined;
  let stageControl: StageControl | undefined;
  if (cluster) {
    const { connectControlPlane } = await import('../cluster/control-plane.js');
    stageControl = await connectControlPlane(cluster, logger);
  }
  const lastKnown: LastKnownStore | undefined = stageControl?.lastKnown ?? (config.unleashUrl ? new FileLastKnownStore(config.stateFile) : undefined);
  const flags = createFlagSource({
    defaults, flagNames,
    unleashUrl: config.unleashUrl,
    unleashApiToken: config.unleashApiToken,
    unleashAppName: config.unleashAppName,
    unleashRefreshMs: config.unleashRefreshMs,
    flagsFile: config.unleashUrl ? undefined : config.flagsFile,
    logger: flagLogger,
    lastKnown,
  });
  await flags.start();

  if (config.jwtSecret && config.jwksUrl) {
    logger.fatal('set SWITCHYARD_JWT_SECRET or SWITCHYARD_JWKS_URL, not both');
    process.exit(2);
  }
  const verifyClient = config.jwtSecret || config.jwksUrl
    ? jwtVerifier({ secret: config.jwtSecret, jwksUrl: config.jwksUrl, issuer: config.jwtIssuer, audience: config.jwtAudience })
    : undefined;
  const sy = await createSwitchyard({
    planDir: config.planDir, logger, flags, adminToken: config.adminToken, adminTokens: config.adminTokens,
    retention: { maxEvents: config.historyEvents, maxAgeMs: config.historyMs, maxBytes: config.historyBytes, maxTotalBytes: config.historyTotalBytes },
    limits: {
      connectionsPerAddress: config.connectionsPerAddress, socketIoHardBuffer: config.socketIoHardBuffer,
      messagesPerSecond: config.messagesPerSecond, messageBurst: 2 * config.messagesPerSecond,
      producerRequestsPerSecond: config.producerRequestsPerSecond, producerBurst: 2 * config.producerRequestsPerSecond,
    },
    trustedProxies: config.trustedProxies,
    ...(cluster ? { cluster, stageControl } : {}),
    producerToken: config.producerToken, verifyClient, tokenCookie: config.tokenCookie, allowedOrigins: config.allowedOrigins,
  }).catch((error: unknown) => {
    // Cluster mode cannot serve without the shared state: exit, and let the
    // process supervisor start it again (with its backoff) until Redis answers.
    if (error instanceof SwitchyardError && error.code === 'STORE_UNAVAILABLE') {
      logger.fatal({ err: error, redis: config.redisUrl }, 'redis unreachable at start: cannot load the cluster\'s state');
      process.exit(1);
    }
    throw error;
  });
  const address = await sy.listen(config.port, config.host);
  const stops = config.demo ? [...sy.modules.values()].flatMap((m) => (m.demo ? [m.demo()] : [])) : [];
  logger.info({ port: address.port, host: address.address, demo: config.demo, flags: flags.status() }, `Switchyard listening on ${sy.url}`);
  if (!config.adminToken && !config.adminTokens) logger.warn('neither SWITCHYARD_ADMIN_TOKEN nor SWITCHYARD_ADMIN_TOKENS is set: the admin API refuses every request');
  if (!config.producerToken && process.env.NODE_ENV === 'production') {
    logger.warn('NODE_ENV=production and SWITCHYARD_PRODUCER_TOKEN is not set: anyone who reaches this port can publish through /api/producer/*');
  }
  logger.info({ producerToken: Boolean(config.producerToken), clientAuth: verifyClient ? (config.jwksUrl ? 'jwks' : 'hs256') : 'off', allowedOrigins: config.allowedOrigins ?? 'any' }, 'access');
  logStartupSummary(logger, { flags, limits: sy.limits, flagsLocation: config.unleashUrl ?? config.flagsFile });

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    for (const stop of stops) stop();
    void sy.close()
      .then(() => flags.close())
      .then(() => stageControl?.close())
      .then(() => process.exit(0), (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

