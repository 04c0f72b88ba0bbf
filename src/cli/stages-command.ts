import { STAGES } from '../flags/stage.js';
import type { AdminClient, ServiceStage } from '../operator/admin-client.js';
import { CliExit, EXIT } from '../operator/exit-codes.js';
import { textTable } from './table.js';

function rows(services: readonly ServiceStage[]): string[][] {
  return services.map((s) => [s.service, s.stage, s.source, s.override ?? '-', String(s.connections.legacy), String(s.connections.socketio), s.lastChange ?? '-']);
}
const HEADER = ['service', 'stage', 'source', 'override', 'legacy', 'socketio', 'last change'];

/** `switchyard stages`: every service's effective stage, where it comes from, and its connections per transport. */
export async function stagesShow(admin: AdminClient, json: boolean, out: (text: string) => void): Promise<void> {
  const answer = await admin.stages();
  if (json) {
    out(JSON.stringify(answer, null, 2) + '\n');
    return;
  }
  const health = answer.flags.healthy === false ? ' (UNHEALTHY: last known stages in force)' : '';
  out(`flag source: ${answer.flags.kind}${health}\n`);
  out(textTable(HEADER, rows(answer.services)));
}

/** `switchyard stages set <service> <stage>`: an override that wins over every flag source until cleared. */
export async function stagesSet(admin: AdminClient, service: string, stage: string, out: (text: string) => void): Promise<void> {
  if (!(STAGES as readonly string[]).includes(stage)) throw new CliExit(EXIT.USAGE, `"${stage}" is not a stage (${STAGES.join(', ')})`);
  const answer = await admin.setStage(service, stage);
  out(textTable(HEADER, rows([answer])));
}

/** `switchyard stages clear <service>`: drop the override; the flag source decides again. */
export async function stagesClear(admin: AdminClient, service: string, out: (text: string) => void): Promise<void> {
  const answer = await admin.clearStage(service);
  out(textTable(HEADER, rows([answer])));
}
