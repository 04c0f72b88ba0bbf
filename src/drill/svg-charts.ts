/**
 * The drill's two charts, as small standalone SVG files (no script, no
 * external reference): the time to the last switched SDK client per step,
 * and delivery latency over the drill with each stage change marked.
 */
import type { DrillResult } from './result.js';

const W = 760;
const H = 300;
const M = { left: 56, right: 16, top: 44, bottom: 52 };

const esc = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const fmt = (v: number): string => (v === 0 ? '0' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));

/** A rounded axis maximum, so tick labels read well. */
function niceMax(value: number): number {
  if (value <= 0) return 1;
  const pow = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * pow >= value) return step * pow;
  return 10 * pow;
}

function frame(title: string, yLabel: string, yMax: number, body: string, xLabel: string): string {
  const ph = H - M.top - M.bottom;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const y = M.top + ph - f * ph;
    return `<line x1="${M.left}" x2="${W - M.right}" y1="${y}" y2="${y}" stroke="#e5e7eb"/><text x="${M.left - 6}" y="${y + 4}" text-anchor="end" font-size="11" fill="#374151">${fmt(f * yMax)}</text>`;
  }).join('');
  return `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif">
<title>${esc(title)}</title>
<rect width="${W}" height="${H}" fill="#ffffff"/>
<text x="${M.left}" y="18" font-size="14" font-weight="600" fill="#111827">${esc(title)}</text>
${ticks}
<text x="14" y="${M.top + ph / 2}" font-size="11" fill="#374151" transform="rotate(-90 14 ${M.top + ph / 2})" text-anchor="middle">${esc(yLabel)}</text>
<text x="${M.left + (W - M.left - M.right) / 2}" y="${H - 8}" font-size="11" fill="#374151" text-anchor="middle">${esc(xLabel)}</text>
${body}
</svg>
`;
}

/** Bars per step: p50 (light) and max (dark) time from the change to the SDK client switched. */
export function switchTimesSvg(result: DrillResult): string {
  const steps = result.steps;
  const yMax = niceMax(Math.max(0, ...steps.map((s) => s.sdkSwitch.maxMs ?? 0)));
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const slot = steps.length ? pw / steps.length : pw;
  const bar = Math.max(2, Math.min(18, slot / 3));
  const y = (v: number): number => M.top + ph - (v / yMax) * ph;
  const body = steps.map((s, i) => {
    const x = M.left + i * slot + slot / 2;
    const p50 = s.sdkSwitch.p50Ms ?? 0;
    const max = s.sdkSwitch.maxMs ?? 0;
    const label = `${s.service} ${s.action} r${s.round}`;
    const colour = s.action === 'cutover' ? '#2563eb' : '#d97706';
    return `<g><title>${esc(`${label}: p50 ${p50} ms, max ${max} ms, ${s.sdkSwitch.switched}/${s.sdkSwitch.clients} switched`)}</title>`
      + `<rect x="${x - bar}" y="${y(p50)}" width="${bar}" height="${M.top + ph - y(p50)}" fill="${colour}" opacity="0.45"/>`
      + `<rect x="${x}" y="${y(max)}" width="${bar}" height="${M.top + ph - y(max)}" fill="${colour}"/>`
      + (steps.length <= 24 ? `<text x="${x}" y="${M.top + ph + 14}" font-size="9" text-anchor="middle" fill="#374151">${esc(`${s.service.split('-')[0]} ${s.action === 'cutover' ? '→sio' : '→leg'} ${s.round}`)}</text>` : '')
      + '</g>';
  }).join('\n');
  const legend = `<text x="${M.left}" y="34" font-size="11" fill="#374151">blue: cut-over, amber: rollback; light: p50, dark: max</text>`;
  return frame('Time from stage change to SDK client switched, per step', 'ms', yMax, body + legend, 'step');
}

/** Latency over the drill (p50 and max per 250 ms, by send time), with the stage changes as vertical lines. */
export function latencySvg(result: DrillResult): string {
  const points = result.latencySeries;
  const end = Math.max(1, result.durationMs, ...points.map((p) => p[0] + 250));
  const yMax = niceMax(Math.max(0, ...points.map((p) => p[2])));
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const x = (ms: number): number => M.left + (ms / end) * pw;
  const y = (v: number): number => M.top + ph - (v / yMax) * ph;
  const line = (index: 1 | 2): string => points.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p[0]).toFixed(1)},${y(p[index]).toFixed(1)}`).join(' ');
  const changes = result.steps.map((s) => `<line x1="${x(s.atMs)}" x2="${x(s.atMs)}" y1="${M.top}" y2="${M.top + ph}" stroke="${s.action === 'cutover' ? '#2563eb' : '#d97706'}" stroke-dasharray="3 3"><title>${esc(`${s.service} ${s.action} r${s.round} at ${(s.atMs / 1000).toFixed(2)} s`)}</title></line>`).join('\n');
  const xTicks = [0, 0.25, 0.5, 0.75, 1].map((f) => `<text x="${x(f * end)}" y="${M.top + ph + 14}" font-size="11" text-anchor="middle" fill="#374151">${(f * end / 1000).toFixed(1)}</text>`).join('');
  const body = `${changes}\n${xTicks}\n`
    + (points.length ? `<path d="${line(2)}" fill="none" stroke="#dc2626" stroke-width="1.2"/><path d="${line(1)}" fill="none" stroke="#059669" stroke-width="1.8"/>` : '')
    + `<text x="${M.left}" y="34" font-size="11" fill="#374151">green: p50, red: max; dashed: stage changes</text>`;
  return frame('Delivery latency over the drill (producer request → client)', 'ms', yMax, body, 's since start');
}
