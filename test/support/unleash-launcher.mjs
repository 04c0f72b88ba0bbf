// Runs a real Unleash 6 server in this (child) process for the integration
// tests. test/support/unleash-server.ts spawns it with an IPC channel and the
// environment below; it is not meant to be run by hand.
//
// Why a child process: Unleash keeps module-level state (a scheduler, a knex
// pool, metric registries, process signal handlers), so running it inside the
// vitest worker would leak into the code under test and could not be killed
// cleanly. Here a `process.exit` ends everything.
//
// Environment (all set by the harness):
//   SWITCHYARD_UNLEASH_PORT      loopback port to listen on
//   SWITCHYARD_UNLEASH_DATABASE  database name (already created by the harness)
//   INIT_ADMIN_API_TOKENS, INIT_CLIENT_API_TOKENS  read by Unleash itself
//   CHECK_VERSION=false, SEND_TELEMETRY=false      read by Unleash itself
import unleash from 'unleash-server';

const port = Number(process.env.SWITCHYARD_UNLEASH_PORT);
const database = process.env.SWITCHYARD_UNLEASH_DATABASE;
if (!Number.isInteger(port) || port <= 0 || !database) {
  console.error('unleash-launcher: SWITCHYARD_UNLEASH_PORT and SWITCHYARD_UNLEASH_DATABASE are required');
  process.exit(2);
}

let instance;
let stopping = false;

async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  // Bounded: a stuck pool must not keep the child (and the test run) alive.
  const timer = setTimeout(() => process.exit(code), 5_000);
  timer.unref();
  try {
    await instance?.stop();
  } catch (error) {
    console.error('unleash-launcher: stop failed', error);
  }
  process.exit(code);
}

// The parent (the vitest worker) going away closes the IPC channel: never
// outlive it, or a crashed test run leaves a server holding the database.
process.on('disconnect', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));
process.on('SIGINT', () => void shutdown(0));

try {
  instance = await unleash.start({
    db: {
      host: '127.0.0.1',
      port: 5432,
      user: 'postgres',
      password: '',
      database,
      ssl: false,
      // Migrations run in one connection; two more are plenty for the tests.
      pool: { min: 0, max: 3 },
    },
    server: {
      host: '127.0.0.1',
      port,
      // The harness stops the server itself; Unleash's own SIGTERM handler
      // would race with ours above.
      gracefulShutdownEnable: false,
      enableRequestLogger: false,
    },
    authentication: { type: 'open-source', enableApiToken: true, createAdminUser: false },
    versionCheck: { enable: false },
    telemetry: false,
    logLevel: process.env.LOG_LEVEL ?? 'warn',
  });
  process.send?.({ type: 'listening', port });
} catch (error) {
  console.error('unleash-launcher: start failed', error);
  process.exit(1);
}
