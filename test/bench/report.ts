import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { median } from './stats.js';
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

/** A row from the measured runs of both sides: medians and their ratio. */
export function metricRow(metric: string, unit: string, better: 'higher' | 'lower', digits: number, sy: number[], base: number[]): MetricRow {
  const switchyard = median(sy);
  const baseline = median(base);
  return { metric, unit, better, digits, switchyard, baseline, ratio: switchyard / baseline, runs: { switchyard: sy, baseline: base } };
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
  return out;
}

const HEADERS: Line = {
  scenario: 'Scenario', metric: 'Metric', switchyard: 'Switchyard', ws: 'plain ws', sio: 'plain socket.io',
  ratioWs: 'Switchyard / plain ws', ratioSio: 'Switchyard / plain socket.io',
};
const KEYS = Object.keys(HEADERS) as Array<keyof Line>;

/** One row of the switch/resume table (Switchyard only: no baseline). */
interface SwitchLine {
  phase: string;
  measurement: string;
  clients: string;
  samples: string;
  median: string;
  p95: string;
  max: string;
}

const SWITCH_HEADERS: SwitchLine = { phase: 'Phase', measurement: 'Measurement (ms)', clients: 'Clients', samples: 'Samples', median: 'median', p95: 'p95', max: 'max' };
const SWITCH_KEYS = Object.keys(SWITCH_HEADERS) as Array<keyof SwitchLine>;

function switchLines(st: SwitchTimeResult): SwitchLine[] {
  const out: SwitchLine[] = st.rows.map((r) => ({
    phase: r.phase, measurement: r.measurement, clients: r.clients, samples: String(r.dist.count),
    median: fmt(r.dist.median, 1), p95: fmt(r.dist.p95, 1), max: fmt(r.dist.max, 1),
  }));
  if (st.status !== 'ok') out.push({ phase: `${st.status.toUpperCase()}: ${st.error ?? ''}`, measurement: '', clients: '', samples: '', median: '', p95: '', max: '' });
  return out;
}

function renderText<T extends object>(headers: T, rows: T[], keys: Array<keyof T>, leftColumns: number): string {
  const all = [headers, ...rows];
  const cell = (r: T, k: keyof T): string => String(r[k]);
  const widths = keys.map((k) => Math.max(...all.map((r) => cell(r, k).length)));
  const render = (r: T): string => keys.map((k, i) => (i < leftColumns ? cell(r, k).padEnd(widths[i]!) : cell(r, k).padStart(widths[i]!))).join('  ');
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [render(headers), rule, ...rows.map(render)].join('\n');
}

function renderMarkdown<T extends object>(headers: T, rows: T[], keys: Array<keyof T>, leftColumns: number): string[] {
  const cell = (r: T, k: keyof T): string => String(r[k]).replace(/\|/g, '\\|');
  return [
    `| ${keys.map((k) => cell(headers, k)).join(' | ')} |`,
    `| ${keys.map((_k, i) => (i < leftColumns ? '---' : '---:')).join(' | ')} |`,
    ...rows.map((r) => `| ${keys.map((k) => cell(r, k)).join(' | ')} |`),
  ];
}

export function textTable(results: BenchResults): string {
  const main = lines(results);
  const parts = main.length > 0 ? [renderText(HEADERS, main, KEYS, 2)] : [];
  const st = switchLines(results.switchTime);
  if (st.length > 0) parts.push('', 'Switch and resume time (Switchyard only)', renderText(SWITCH_HEADERS, st, SWITCH_KEYS, 3));
  return parts.join('\n');
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
  out.push(...renderMarkdown(HEADERS, lines(results), KEYS, 2));
  const notes = results.sections.flatMap((s) => s.notes.map((n) => `${s.title}: ${n}`));
  if (notes.length > 0 || results.warnings.length > 0) {
    out.push('');
    for (const w of results.warnings) out.push(`- **Warning:** ${w}`);
    for (const n of notes) out.push(`- ${n}`);
  }
  const st = results.switchTime;
  out.push('', '#### Stage switch and resume time (Switchyard only)', '');
  if (st.status === 'skipped' && st.rows.length === 0) {
    out.push(`Not measured: ${st.error ?? 'skipped'}.`);
  } else {
    for (const line of st.description ?? []) out.push(`- ${line}`);
    out.push('');
    out.push(...renderMarkdown(SWITCH_HEADERS, switchLines(st), SWITCH_KEYS, 3));
    if (st.notes.length > 0) {
      out.push('');
      for (const n of st.notes) out.push(`- ${n}`);
    }
  }
  out.push('');
  return out.join('\n');
}

export async function writeResults(results: BenchResults, jsonPath: string, mdPath: string): Promise<void> {
  await mkdir(dirname(jsonPath), { recursive: true });
  await writeFile(jsonPath, `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(mdPath, markdown(results));
}
