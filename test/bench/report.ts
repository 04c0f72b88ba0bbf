import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { SwitchTimeResult } from './switch-time.js';

export type BaselineName = 'plain ws' | 'plain socket.io';

/** One line of the report: Switchyard and its baseline, medians of the measured runs. */
export interface MetricRow {
  metric: string;
  unit: string;
  better: 'higher' | 'lower';
  /** Decimals to print. */
  digits: number;
  switchyard: number;
  baseline: number;
  /** switchyard / baseline. */
  ratio: number;
  runs: { switchyard: number[]; baseline: number[] };
}

export interface SectionResult {
  id: string;
  title: string;
  baseline: BaselineName;
  status: 'ok' | 'aborted' | 'skipped';
  error?: string;
  rows: MetricRow[];
  notes: string[];
  durationMs: number;
}

export interface BenchEnvironment {
  date: string;
  node: string;
  cpu: string;
  cores: number;
  platform: string;
  versions: Record<string, string>;
}

export interface BenchResults {
  environment: BenchEnvironment;
  config: Record<string, number | string>;
  description: string[];
  sections: SectionResult[];
  switchTime: SwitchTimeResult;
  warnings: string[];
  durationMs: number;
}

export function fmt(value: number, digits: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

interface Line {
  scenario: string;
  metric: string;
  switchyard: string;
  ws: string;
  sio: string;
  ratioWs: string;
  ratioSio: string;
}

function lines(results: BenchResults): Line[] {
  const out: Line[] = [];
  for (const section of results.sections) {
    if (section.status !== 'ok') {
      out.push({ scenario: section.title, metric: `${section.status.toUpperCase()}: ${section.error ?? ''}`, switchyard: '', ws: '', sio: '', ratioWs: '', ratioSio: '' });
    }
    for (const row of section.rows) {
      const isWs = section.baseline === 'plain ws';
      const base = fmt(row.baseline, row.digits);
      const ratio = fmt(row.ratio, 2);
      out.push({
        scenario: section.title,
        metric: `${row.metric} (${row.unit}, ${row.better} is better)`,
        switchyard: fmt(row.switchyard, row.digits),
        ws: isWs ? base : '—',
        sio: isWs ? '—' : base,
        ratioWs: isWs ? ratio : '—',
        ratioSio: isWs ? '—' : ratio,
      });
    }
  }
  const st = results.switchTime;
  out.push({
    scenario: 'Switch time',
    metric: 'flag change → last affected client switched (ms)',
    switchyard: st.measured && st.lastClientMs !== undefined ? fmt(st.lastClientMs, 1) : 'not measured',
    ws: '—', sio: '—', ratioWs: '—', ratioSio: '—',
  });
  return out;
}

const HEADERS: Line = {
  scenario: 'Scenario', metric: 'Metric', switchyard: 'Switchyard', ws: 'plain ws', sio: 'plain socket.io',
  ratioWs: 'Switchyard / plain ws', ratioSio: 'Switchyard / plain socket.io',
};
const KEYS = Object.keys(HEADERS) as Array<keyof Line>;

export function textTable(results: BenchResults): string {
  const rows = [HEADERS, ...lines(results)];
  const widths = KEYS.map((k) => Math.max(...rows.map((r) => r[k].length)));
  const render = (r: Line): string => KEYS.map((k, i) => (i < 2 ? r[k].padEnd(widths[i]!) : r[k].padStart(widths[i]!))).join('  ');
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [render(HEADERS), rule, ...rows.slice(1).map(render)].join('\n');
}

export function markdown(results: BenchResults): string {
  const env = results.environment;
  const out: string[] = [];
  out.push('### Switchyard vs. plain `ws` / plain `socket.io` (loopback benchmark)');
  out.push('');
  out.push(`Measured ${env.date} — Node ${env.node}, ${env.cpu} (${env.cores} cores), ${env.platform}; ${Object.entries(env.versions).map(([k, v]) => `${k} ${v}`).join(', ')}. Command: \`npm run bench\`.`);
  out.push('');
  for (const line of results.description) out.push(`- ${line}`);
  out.push('');
  out.push(`| ${KEYS.map((k) => HEADERS[k]).join(' | ')} |`);
  out.push(`| ${KEYS.map((_k, i) => (i < 2 ? '---' : '---:')).join(' | ')} |`);
  for (const line of lines(results)) out.push(`| ${KEYS.map((k) => line[k].replace(/\|/g, '\\|')).join(' | ')} |`);
  if (!results.switchTime.measured) out.push('', `Switch time: ${results.switchTime.note}.`);
  const notes = results.sections.flatMap((s) => s.notes.map((n) => `${s.title}: ${n}`));
  if (notes.length > 0 || results.warnings.length > 0) {
    out.push('');
    for (const w of results.warnings) out.push(`- **Warning:** ${w}`);
    for (const n of notes) out.push(`- ${n}`);
  }
  out.push('');
  return out.join('\n');
}

export async function writeResults(results: BenchResults, jsonPath: string, mdPath: string): Promise<void> {
  await mkdir(dirname(jsonPath), { recursive: true });
  await writeFile(jsonPath, `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(mdPath, markdown(results));
}
