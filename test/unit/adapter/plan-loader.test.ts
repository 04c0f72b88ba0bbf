import { mkdtemp, readFile, writeFile, cp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PLAN_DIR, loadPlans, parsePlan, PlanError } from '../../../src/adapter/plan-loader.js';
import { SERVICE_IDS } from '../../../src/registry/contracts.js';

const crawlPlan = (): Promise<string> => readFile(join(DEFAULT_PLAN_DIR, 'crawl-progress.json'), 'utf8');

describe('plan loading', () => {
  it('loads and validates all seven shipped plans', async () => {
    const plans = await loadPlans();
    expect([...plans.keys()]).toEqual([...SERVICE_IDS]);
    const ranked = [...plans.values()].map((p) => [p.service, p.priority, p.phase]);
    expect(ranked).toEqual([
      ['crawl-progress', 'high', 1], ['agent-chat', 'high', 2], ['project-tasks', 'medium', 3], ['mcp-logs', 'medium', 4],
      ['test-execution', 'low', 5], ['project-creation', 'low', 6], ['knowledge-items', 'low', 7],
    ]);
  });

  it.each([
    ['not JSON', (t: string) => t.slice(0, -2), '(file)'],
    ['an unknown stage', (t: string) => t.replace('"stage": "legacy"', '"stage": "halfway"'), 'stage'],
    ['a bad namespace', (t: string) => t.replace('"namespace": "/crawl"', '"namespace": "crawl"'), 'socketio.namespace'],
    ['an unknown field', (t: string) => t.replace('"title"', '"titel": "x", "title"'), '(root)'],
    ['a path parameter nothing uses', (t: string) => t.replace('"room": "crawl_{progress_id}"', '"room": "crawl"').replace('"progress_id": "$params.progress_id"', '"progress_id": "x"'), 'legacy.path'],
  ])('names the file and the field for %s', async (_name, corrupt, field) => {
    const text = corrupt(await crawlPlan());
    let error: unknown;
    try {
      parsePlan('/plans/crawl-progress.json', text, 'crawl-progress');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PlanError);
    expect((error as PlanError).file).toBe('/plans/crawl-progress.json');
    expect((error as PlanError).field).toBe(field);
    expect((error as Error).message).toMatch(/^\/plans\/crawl-progress\.json: /);
  });

  it('refuses a plan directory with a missing or mislabelled file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'plans-'));
    await cp(DEFAULT_PLAN_DIR, dir, { recursive: true });
    await writeFile(join(dir, 'agent-chat.json'), (await crawlPlan()));
    await expect(loadPlans(dir)).rejects.toThrow(/agent-chat\.json: service: expected "agent-chat"/);
  });
});
