/** The drill's report on disk: `report.json` (everything), `report.md` (for people), and two SVG charts. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Spread } from './analysis.js';
import type { DrillResult } from './result.js';
import { latencySvg, switchTimesSvg } from './svg-charts.js';

const ms = (v: number | null): string => (v === null ? '-' : String(v));
const spreadCells = (s: Spread): string => `${ms(s.p50Ms)} / ${ms(s.p99Ms)} / ${ms(s.maxMs)}`;

export function markdownReport(r: DrillResult): string {
  const lines: string[] = [];
  const verdict = r.verdict === 'pass' ? 'PASS' : r.verdict === 'fail' ? 'FAIL' : 'INCOMPLETE';
  lines.push(`# Switchyard drill: ${verdict}`, '');
  lines.push(`${r.url} via ${r.via}, ${r.services.length} service(s), ${r.clientsPerService} clients each, ${r.rounds} round(s); ${r.startedAt} → ${r.finishedAt} (${(r.durationMs / 1000).toFixed(1)} s); switchyard ${r.version}.`);
  if (r.stoppedBy) lines.push('', `Stopped early: ${r.stoppedBy}. Stages were restored; the counts cover what ran.`);
  lines.push('', `**Totals**: ${r.totals.published} events published, ${r.totals.expected} deliveries expected; `
    + `lost ${r.totals.lost}, duplicated ${r.totals.duplicated}, reordered ${r.totals.reordered}; `
    + `SDK clients not switched ${r.totals.unswitchedClients}; errors ${r.totals.errors}. `
    + `Delivery latency p50/p99/max ${spreadCells(r.latency)} ms. Exit status ${r.exitCode}.`);
  lines.push('', `Legacy clients are unmodified raw \`ws\` clients; their order is checked by ${r.legacySequenceCheck}. `
    + 'They never reconnect: the server moves them between the legacy handlers and the adapter, so their "switch" is the server\'s (column *server*). '
    + 'SDK clients switch transport themselves; *SDK switch* is the time from the change request to each one serving on the new transport.');
  lines.push('', '## Steps', '');
  lines.push('| service | round | step | request ms | SDK switched | SDK switch p50 / p99 / max ms | server: legacy moved in ms | published | lost | dup | reordered | errors |');
  lines.push('|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const s of r.steps) {
    const server = s.server ? `${s.server.legacySwitched} in ${s.server.durationMs}` : '-';
    lines.push(`| ${s.service} | ${s.round} | ${s.from} → ${s.to} | ${s.requestMs} | ${s.sdkSwitch.switched}/${s.sdkSwitch.clients} | ${spreadCells(s.sdkSwitch)} | ${server} | ${s.events.published} | ${s.events.lost} | ${s.events.duplicated} | ${s.events.reordered} | ${[...(s.interrupted ? ['interrupted'] : []), ...s.errors].join('; ')} |`);
  }
  lines.push('', '## Services', '');
  lines.push('| service | stage before, restored | clients legacy + SDK | published | lost | dup | reordered | latency p50 / p99 / max ms | chat sent / acked / stored once | errors, warnings |');
  lines.push('|---|---|---:|---:|---:|---:|---:|---:|---|---|');
  for (const s of r.services) {
    const chat = s.chat ? `${s.chat.sent} / ${s.chat.acknowledged} / ${s.chat.storedOnce}${s.chat.storedMoreThanOnce ? ` (${s.chat.storedMoreThanOnce} more than once)` : ''}${s.chat.historyFull ? ' (history full)' : ''}` : '-';
    const restored = `${s.stageBefore} (${s.overrideBefore === null ? 'no override' : `override ${s.overrideBefore}`}), ${s.restored ? 'restored' : 'NOT RESTORED'}`;
    lines.push(`| ${s.service} | ${restored} | ${s.clients.legacy} + ${s.clients.sdk} | ${s.totals.published} | ${s.totals.lost} | ${s.totals.duplicated} | ${s.totals.reordered} | ${spreadCells(s.latency)} | ${chat} | ${[...s.errors.slice(0, 5), ...(s.warnings.length ? [`${s.warnings.length} SDK warning(s), first: ${s.warnings[0]}`] : [])].join('; ')} |`);
  }
  lines.push('', '![switch times](switch-times.svg)', '', '![delivery latency](latency.svg)', '');
  return lines.join('\n');
}

/** Write the four files into `dir` (created); returns their paths. */
export async function writeReport(dir: string, result: DrillResult): Promise<{ json: string; markdown: string; switchSvg: string; latencySvg: string }> {
  await mkdir(dir, { recursive: true });
  const files = { json: join(dir, 'report.json'), markdown: join(dir, 'report.md'), switchSvg: join(dir, 'switch-times.svg'), latencySvg: join(dir, 'latency.svg') };
  await writeFile(files.json, JSON.stringify(result, null, 2) + '\n');
  await writeFile(files.markdown, markdownReport(result));
  await writeFile(files.switchSvg, switchTimesSvg(result));
  await writeFile(files.latencySvg, latencySvg(result));
  return files;
}
