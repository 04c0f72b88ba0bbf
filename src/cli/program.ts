/**
 * The `switchyard` command line: `serve` (the default: `switchyard --demo`
 * still serves), and the operator's commands against a running node (`drill`,
 * `stages`, `audit`) or the local plans (`plan`). Each command lives in its
 * own file; this one only wires them to commander.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { DEFAULT_PLAN_DIR } from '../adapter/plan-loader.js';
import { AdminClient } from '../operator/admin-client.js';
import { auditCommand } from './audit-command.js';
import { drillCommand } from './drill-command.js';
import { CliExit, EXIT } from '../operator/exit-codes.js';
import { planCommand } from './plan-command.js';
import { serve } from './serve.js';
import { stagesClear, stagesSet, stagesShow } from './stages-command.js';

/** The package's version, from the package.json next to migrations-plan/ (sources and build alike). */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(resolve(DEFAULT_PLAN_DIR, '..', 'package.json'), 'utf8')) as { version: string }).version;
}

const write = (text: string): void => {
  process.stdout.write(text);
};
const DEFAULT_URL = process.env.SWITCHYARD_URL ?? 'http://127.0.0.1:8080';
const admin = (url: string): AdminClient => new AdminClient(url, process.env.SWITCHYARD_ADMIN_TOKEN);

/** Set when the default command ran: a server keeps the process alive, the operator commands end it. */
let serving = false;

export function buildProgram(): Command {
  const version = packageVersion();
  const program = new Command()
    .name('switchyard')
    .description('Serve legacy raw-WebSocket endpoints and Socket.IO namespaces side by side, switching per service; and operate it.\n'
      + 'Without a command, serves (`switchyard serve --help` lists its options). Admin commands read SWITCHYARD_ADMIN_TOKEN.')
    .version(version, '-V, --version')
    // Options before a command belong to it: `switchyard --port 0` reaches serve untouched.
    .enablePositionalOptions()
    .passThroughOptions()
    .allowUnknownOption()
    .showHelpAfterError();

  program.command('serve', { isDefault: true })
    .description('run Switchyard (the default command; every option of `switchyard serve --help`)')
    // serve parses its own options (src/server/config.ts), including --help.
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .action(async (_opts: unknown, command: Command) => {
      serving = true;
      await serve(command.args);
    });

  program.addCommand(drillCommand(version));

  const stages = program.command('stages')
    .description('every service\'s stage, its source, override and connections on a running node')
    .option('--url <url>', 'the Switchyard node (SWITCHYARD_URL)', DEFAULT_URL)
    .option('--json', 'print the admin API\'s JSON')
    .action(async (flags: { url: string; json?: boolean }) => stagesShow(admin(flags.url), Boolean(flags.json), write));
  stages.command('set <service> <stage>')
    .description('override a service\'s stage (wins over every flag source until cleared)')
    .option('--url <url>', 'the Switchyard node (SWITCHYARD_URL)', DEFAULT_URL)
    .action(async (service: string, stage: string, flags: { url: string }) => stagesSet(admin(flags.url), service, stage, write));
  stages.command('clear <service>')
    .description('clear a service\'s override')
    .option('--url <url>', 'the Switchyard node (SWITCHYARD_URL)', DEFAULT_URL)
    .action(async (service: string, flags: { url: string }) => stagesClear(admin(flags.url), service, write));

  program.command('audit')
    .description('every stage change on a running node, with who made it')
    .option('--url <url>', 'the Switchyard node (SWITCHYARD_URL)', DEFAULT_URL)
    .option('--service <service>', 'one service only')
    .option('--json', 'print JSON')
    .action(async (flags: { url: string; service?: string; json?: boolean }) => auditCommand(admin(flags.url), flags, write));

  program.command('plan')
    .description('the seven services\' default stages, phases and priorities from the plan files (no server needed)')
    .option('--plans <dir>', 'migration plan directory (SWITCHYARD_PLANS)', process.env.SWITCHYARD_PLANS)
    .option('--json', 'print JSON')
    .action(async (flags: { plans?: string; json?: boolean }) => planCommand(flags, write));

  return program;
}

/** Run the command line; operator commands exit with their status (exit-codes.ts), serve keeps running. */
export async function runCli(argv: readonly string[]): Promise<void> {
  try {
    await buildProgram().parseAsync([...argv], { from: 'user' });
    // A drill's clients and keep-alive sockets are closed, but may hold the loop a while; the answer is complete now.
    if (!serving) process.exit(EXIT.OK);
  } catch (error) {
    if (error instanceof CliExit) {
      if (error.message) process.stderr.write(`switchyard: ${error.message}\n`);
      process.exit(error.exitCode);
    }
    process.stderr.write(`switchyard: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(EXIT.COULD_NOT_RUN);
  }
}
