import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { overridableFlags } from '../../support/flags.js';
import { startServer, type TestServer } from '../../support/harness.js';
import { scrape } from '../../support/prometheus.js';

interface Panel { title: string; type: string; targets?: Array<{ expr: string }> }
interface Dashboard { title: string; panels: Panel[]; templating: { list: Array<{ query?: unknown; definition?: string }> } }

const METRIC = /\bswitchyard_[a-z0-9_]+/g;
const HISTOGRAM_SERIES = /_(bucket|sum|count)$/;

describe('Grafana dashboard (docs/grafana/switchyard-dashboard.json)', () => {
  let server: TestServer;
  let dashboard: Dashboard;
  beforeAll(async () => {
    server = await startServer({ flags: overridableFlags('legacy') });
    dashboard = JSON.parse(await readFile(new URL('../../../docs/grafana/switchyard-dashboard.json', import.meta.url), 'utf8')) as Dashboard;
  });
  afterAll(async () => {
    await server.close();
  });

  it('parses, and every panel but the rows queries something', () => {
    expect(dashboard.title).toBe('Switchyard');
    const panels = dashboard.panels.filter((p) => p.type !== 'row');
    expect(panels.length).toBeGreaterThan(10);
    for (const panel of panels) expect(panel.targets?.length ?? 0, panel.title).toBeGreaterThan(0);
  });

  it('references only metrics a fresh server exposes', async () => {
    const exposition = await scrape(server.url);
    const expressions = [
      ...dashboard.panels.flatMap((p) => p.targets?.map((t) => t.expr) ?? []),
      ...dashboard.templating.list.map((v) => v.definition ?? ''),
    ];
    const referenced = new Set(expressions.flatMap((expr) => expr.match(METRIC) ?? []));
    expect(referenced.size).toBeGreaterThan(10);
    const missing = [...referenced].filter((name) => {
      if (exposition.types.has(name)) return false;
      // A histogram's series: its family is the name without _bucket/_sum/_count.
      const family = name.replace(HISTOGRAM_SERIES, '');
      return !(family !== name && exposition.types.get(family) === 'histogram');
    });
    expect(missing).toEqual([]);
    // Every series the dashboard reads per service exists before any traffic.
    for (const name of referenced) expect(exposition.samples.some((s) => s.name === name), name).toBe(true);
  });
});
