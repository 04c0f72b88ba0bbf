/**
 * A flame graph in text: where a `--cpu-prof` profile (BENCH_CPU_PROF) spent
 * its time, by function, self and inclusive (a function's share counts each
 * sample once, however deep it recurses). Idle time is left out of the shares.
 *
 *   npx tsx test/bench/profile-summary.ts <file.cpuprofile> [rows=30]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, rowsArg] = process.argv.slice(2);
if (!file) throw new Error('usage: profile-summary.ts <file.cpuprofile> [rows]');
const rows = Number(rowsArg ?? 30);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id);

const label = (n: ProfileNode): string => {
  const url = n.callFrame.url.replace(/.*node_modules\//, '').replace(/^.*?\/(src|legacy|test)\//, '$1/');
  return `${n.callFrame.functionName || '(anonymous)'}${url ? ` ${url}:${n.callFrame.lineNumber + 1}` : ''}`;
};

const timeOf = new Map<number, number>();
profile.samples.forEach((id, i) => timeOf.set(id, (timeOf.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));

const self = new Map<string, number>();
const inclusive = new Map<string, number>();
let busy = 0;
let idle = 0;
for (const [id, time] of timeOf) {
  const node = byId.get(id)!;
  if (node.callFrame.functionName === '(idle)') {
    idle += time;
    continue;
  }
  busy += time;
  self.set(label(node), (self.get(label(node)) ?? 0) + time);
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const name = label(byId.get(cur)!);
    if (seen.has(name)) continue;
    seen.add(name);
    inclusive.set(name, (inclusive.get(name) ?? 0) + time);
  }
}

const table = (m: Map<string, number>): string =>
  [...m].sort((a, b) => b[1] - a[1]).slice(0, rows).map(([name, t]) => `| ${((100 * t) / busy).toFixed(1)}% | \`${name}\` |`).join('\n');

console.log(`Busy ${(busy / 1e6).toFixed(2)} s, idle ${(idle / 1e6).toFixed(2)} s (shares below are of busy time).\n`);
console.log('Self time:\n\n| share | function |\n| ---: | --- |');
console.log(table(self));
console.log('\nInclusive time:\n\n| share | function |\n| ---: | --- |');
console.log(table(inclusive));
