/**
 * The operator's everyday commands as real processes: `--version`, `plan`
 * (local, no server), `stages` read/set/clear and `audit` against a running
 * node with the admin token from the environment; and the default command
 * still serves (`switchyard --demo --port 0`).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, overridableFlags } from '../../support/flags.js';
import { startServer, type TestServer } from '../../support/harness.js';
import { ROOT, runCli, type CliRun } from '../../support/cli-process.js';

let server: TestServer | undefined;
const children: CliRun[] = [];
afterEach(async () => {
  for (const run of children.splice(0)) if (run.child.exitCode === null) run.child.kill('SIGKILL');
  await server?.close();
  server = undefined;
});

async function finish(args: string[], env: Record<string, string> = { SWITCHYARD_ADMIN_TOKEN: ADMIN_TOKEN }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const run = runCli(args, env, 30_000);
  children.push(run);
  const code = await run.exited;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

describe('switchyard operator commands', () => {
  it('--version prints the package version', { timeout: 30_000 }, async () => {
    const { version } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const result = await finish(['--version']);
    expect(result).toMatchObject({ code: 0, stdout: `${version}\n` });
  });

  it('plan lists the seven services in phase order from the local plan files, with no server', { timeout: 30_000 }, async () => {
    const result = await finish(['plan'], {});
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^phase\s+service\s+priority\s+stage\s+flag/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 3))).toEqual([
      ['1', 'crawl-progress', 'high'], ['2', 'agent-chat', 'high'], ['3', 'project-tasks', 'medium'], ['4', 'mcp-logs', 'medium'],
      ['5', 'test-execution', 'low'], ['6', 'project-creation', 'low'], ['7', 'knowledge-items', 'low'],
    ]);
    const json = JSON.parse((await finish(['plan', '--json'], {})).stdout) as Array<{ service: string; stage: string }>;
    expect(json).toHaveLength(7);
    expect(json[0]).toMatchObject({ service: 'crawl-progress', phase: 1, stage: 'legacy', flag: 'switchyard.crawl-progress' });
  });

  it('stages shows, sets and clears overrides on a running node; audit shows who changed what', { timeout: 60_000 }, async () => {
    server = await startServer({ services: ['crawl-progress', 'mcp-logs'], flags: overridableFlags('legacy'), adminToken: ADMIN_TOKEN });
    const client = await server.legacy('/api/mcp/logs/stream');
    await client.next((f) => f.includes('"connection"'));

    const shown = await finish(['stages', '--url', server.url]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('flag source: plan');
    expect(shown.stdout).toMatch(/crawl-progress\s+legacy\s+plan\s+-\s+0\s+0/);
    expect(shown.stdout).toMatch(/mcp-logs\s+legacy\s+plan\s+-\s+1\s+0/);

    const set = await finish(['stages', 'set', 'mcp-logs', 'socketio', '--url', server.url]);
    expect(set.code).toBe(0);
    expect(set.stdout).toMatch(/mcp-logs\s+socketio\s+override\s+socketio\s+1\s+0/);
    expect(server.sy.stages!.baseStage('mcp-logs')).toBe('socketio');

    const cleared = await finish(['stages', 'clear', 'mcp-logs', '--url', server.url]);
    expect(cleared.code).toBe(0);
    expect(cleared.stdout).toMatch(/mcp-logs\s+legacy\s+plan\s+-/);

    const audit = await finish(['audit', '--url', server.url, '--service', 'mcp-logs']);
    expect(audit.code).toBe(0);
    const rows = audit.stdout.trim().split('\n');
    expect(rows[0]).toMatch(/^at\s+service\s+from\s+to\s+source\s+actor$/);
    expect(rows.slice(1).map((r) => r.split(/\s+/).slice(1))).toEqual([
      ['mcp-logs', 'legacy', 'socketio', 'override', 'admin'],
      ['mcp-logs', 'socketio', 'legacy', 'plan', 'admin'],
    ]);

    const bad = await finish(['stages', 'set', 'mcp-logs', 'sideways', '--url', server.url]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('"sideways" is not a stage');
  });

  it('admin commands without SWITCHYARD_ADMIN_TOKEN, or with a wrong one, cannot run (exit 3) and say why', { timeout: 60_000 }, async () => {
    server = await startServer({ services: ['mcp-logs'], flags: overridableFlags('legacy'), adminToken: ADMIN_TOKEN });
    const missing = await finish(['stages', '--url', server.url], {});
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('SWITCHYARD_ADMIN_TOKEN is not set');
    const wrong = await finish(['audit', '--url', server.url], { SWITCHYARD_ADMIN_TOKEN: 'not-it' });
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toContain('refused the admin token (401)');
    const down = await finish(['stages', '--url', 'http://127.0.0.1:9'], { SWITCHYARD_ADMIN_TOKEN: ADMIN_TOKEN });
    expect(down.code).toBe(3);
    expect(down.stderr).toContain('cannot reach Switchyard at http://127.0.0.1:9');
  });

  it('serve is still the default command: `switchyard --demo --port 0` serves, with demo traffic', { timeout: 60_000 }, async () => {
    const run = runCli(['--demo', '--port', '0', '--host', '127.0.0.1', '--flags-file', join(ROOT, 'does-not-exist', 'flags.json')], {}, 60_000);
    children.push(run);
    const deadline = Date.now() + 30_000;
    let port: number | undefined;
    while (port === undefined) {
      const found = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(run.stdout() + run.stderr());
      if (found) port = Number(found[1]);
      else if (Date.now() > deadline || run.child.exitCode !== null) throw new Error(`server did not start: ${run.stdout()}${run.stderr()}`);
      else await new Promise((r) => setTimeout(r, 50));
    }
    expect(await (await fetch(`http://127.0.0.1:${port}/ready`)).json()).toMatchObject({ ready: true, plans: 7 });
    expect(run.stdout()).toContain('"demo":true');
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
  });
});
