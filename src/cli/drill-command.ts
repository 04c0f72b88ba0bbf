import { resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { isServiceId, SERVICE_IDS, type ServiceId } from '../registry/contracts.js';
import { createProgress } from '../drill/progress.js';
import { writeReport } from '../drill/report.js';
import { runDrill } from '../drill/run-drill.js';
import { CliExit, EXIT } from '../operator/exit-codes.js';

/** Bounds: a drill is a rehearsal, not a load test. */
export const DRILL_LIMITS = { clients: 500, rounds: 50, timeoutSeconds: 3600, rate: 200 } as const;

function bounded(name: string, min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
    return n;
  };
}

function collectService(value: string, previous: ServiceId[] = []): ServiceId[] {
  const ids = value.split(',').map((v) => v.trim()).filter(Boolean);
  for (const id of ids) if (!isServiceId(id)) throw new InvalidArgumentError(`"${id}" is not a service (${SERVICE_IDS.join(', ')})`);
  return [...previous, ...(ids as ServiceId[])];
}

/** `./switchyard-drill-20261202T071500Z/` */
function defaultOut(now: Date): string {
  return `switchyard-drill-${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}`;
}

interface DrillFlags {
  service?: ServiceId[];
  all?: boolean;
  url: string;
  clients: number;
  rounds: number;
  via: 'override' | 'unleash';
  timeout: number;
  stepTimeout: number;
  rate: number;
  out?: string;
  yes?: boolean;
}

/** `switchyard drill`: rehearse cut-over and rollback against a running node, and report (see run-drill.ts). */
export function drillCommand(version: string): Command {
  return new Command('drill')
    .description('rehearse cut-over and rollback on a running Switchyard with synthetic clients; report loss, duplicates, order and switch times')
    .option('--service <service>', 'a service to drill (repeatable, or comma-separated)', collectService)
    .option('--all', 'drill all seven services')
    .option('--url <url>', 'the Switchyard to drill (SWITCHYARD_URL)', process.env.SWITCHYARD_URL ?? 'http://127.0.0.1:8080')
    .option('--clients <n>', `synthetic clients per service, half unmodified legacy, half SDK (at most ${DRILL_LIMITS.clients})`, bounded('clients', 2, DRILL_LIMITS.clients), 10)
    .option('--rounds <n>', 'cut-over + rollback rounds per service', bounded('rounds', 1, DRILL_LIMITS.rounds), 3)
    .addOption(new Option('--via <how>', 'how stages are changed: the admin override, or Unleash (SWITCHYARD_DRILL_UNLEASH_URL/_TOKEN)').choices(['override', 'unleash']).default('override'))
    .option('--timeout <seconds>', 'stop (restoring stages) after this long', bounded('timeout', 5, DRILL_LIMITS.timeoutSeconds), 120)
    .option('--step-timeout <seconds>', 'longest wait for every client to switch after one change', bounded('step-timeout', 1, 600), 15)
    .option('--rate <n>', 'producer events per second per service', bounded('rate', 1, DRILL_LIMITS.rate), 20)
    .option('--out <dir>', 'report directory (default ./switchyard-drill-<timestamp>/)')
    .option('--yes', 'drill even services with real clients connected')
    .action(async (flags: DrillFlags, command: Command) => {
      if (flags.all && flags.service) command.error('error: --all and --service exclude each other', { exitCode: EXIT.USAGE });
      if (!flags.all && !flags.service) command.error('error: name the services to drill (--service S, repeatable) or --all', { exitCode: EXIT.USAGE });
      const services = flags.all ? [...SERVICE_IDS] : [...new Set(flags.service)];
      const out = resolve(flags.out ?? defaultOut(new Date()));
      const interrupt = new AbortController();
      const onSigint = (): void => {
        process.stderr.write('\ninterrupted: restoring stages and writing the report (Ctrl-C again to quit at once)\n');
        interrupt.abort();
        process.once('SIGINT', () => process.exit(130));
      };
      process.once('SIGINT', onSigint);
      let result;
      try {
        result = await runDrill({
          url: flags.url, services, clients: flags.clients, rounds: flags.rounds, via: flags.via,
          timeoutMs: flags.timeout * 1000, stepTimeoutMs: flags.stepTimeout * 1000, yes: Boolean(flags.yes), rate: flags.rate,
          version, env: process.env, progress: createProgress(), interrupt: interrupt.signal,
        });
      } finally {
        process.off('SIGINT', onSigint);
      }
      const files = await writeReport(out, result);
      const t = result.totals;
      process.stdout.write(`${result.verdict.toUpperCase()}: ${t.published} events, lost ${t.lost}, duplicated ${t.duplicated}, reordered ${t.reordered}, `
        + `SDK clients not switched ${t.unswitchedClients}, errors ${t.errors}${result.stoppedBy ? ` (stopped: ${result.stoppedBy})` : ''}\n`
        + `report: ${files.markdown}\n        ${files.json}\n`);
      if (result.exitCode !== EXIT.OK) throw new CliExit(result.exitCode, '');
    });
}
