import type { AdminClient } from '../operator/admin-client.js';
import { textTable } from './table.js';

/** `switchyard audit [--service S]`: every stage change, oldest first, with who made it. */
export async function auditCommand(admin: AdminClient, options: { service?: string; json?: boolean }, out: (text: string) => void): Promise<void> {
  const entries = await admin.audit(options.service);
  if (options.json) {
    out(JSON.stringify(entries, null, 2) + '\n');
    return;
  }
  if (entries.length === 0) {
    out('no stage changes recorded (the audit trail lives in memory and starts empty at each start)\n');
    return;
  }
  out(textTable(['at', 'service', 'from', 'to', 'source', 'actor'],
    entries.map((e) => [e.at, e.service, e.from ?? '-', e.to ?? '-', e.source ?? '-', e.actor ?? '-'])));
}
