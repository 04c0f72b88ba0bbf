import { envPositiveInt } from '../env-int.js';

/** Tunables of test-execution, with their defaults and environment overrides. */
export interface TestExecutionOptions {
  /**
   * A running execution with no output for this long gets a "Tests still
   * running..." status (the legacy 30 s `readline` timeout). Default 30000.
   * Env `SWITCHYARD_TESTS_STILL_RUNNING_MS`.
   */
  stillRunningMs: number;
  /** Output lines kept per execution for the on-connect replay (oldest dropped). Default 10000. Env `SWITCHYARD_TESTS_OUTPUT_LINES`. */
  maxOutputLines: number;
  /** Finished executions are forgotten after this long. Default 1800000 (30 min). Env `SWITCHYARD_TESTS_RETENTION_MS`. */
  retentionMs: number;
  /** Demo mode: a simulated pytest run this often. Default 20000. Env `SWITCHYARD_TESTS_DEMO_MS`. */
  demoIntervalMs: number;
  /** Demo mode: delay between simulated output lines. Default 250. */
  demoLineMs: number;
}

export const DEFAULT_TEST_EXECUTION_OPTIONS: TestExecutionOptions = {
  stillRunningMs: 30_000,
  maxOutputLines: 10_000,
  retentionMs: 30 * 60_000,
  demoIntervalMs: 20_000,
  demoLineMs: 250,
};

/** Options from the environment (unset variables keep the defaults); throws on a malformed value. */
export function testExecutionOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): TestExecutionOptions {
  const d = DEFAULT_TEST_EXECUTION_OPTIONS;
  return {
    stillRunningMs: envPositiveInt(env, 'SWITCHYARD_TESTS_STILL_RUNNING_MS', d.stillRunningMs),
    maxOutputLines: envPositiveInt(env, 'SWITCHYARD_TESTS_OUTPUT_LINES', d.maxOutputLines),
    retentionMs: envPositiveInt(env, 'SWITCHYARD_TESTS_RETENTION_MS', d.retentionMs),
    demoIntervalMs: envPositiveInt(env, 'SWITCHYARD_TESTS_DEMO_MS', d.demoIntervalMs),
    demoLineMs: envPositiveInt(env, 'SWITCHYARD_TESTS_DEMO_LINE_MS', d.demoLineMs),
  };
}
