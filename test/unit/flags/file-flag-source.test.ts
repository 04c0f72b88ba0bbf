import type { EventEmitter } from 'node:events';
import { mkdir, mkdtemp, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FileFlagSource, type FileFlagSourceOptions } from '../../../src/flags/file-flag-source.js';
import type { FlagSourceStatus } from '../../../src/flags/flag-source.js';
import type { FlagLogger } from '../../../src/flags/plan-flag-source.js';
import type { Stage } from '../../../src/flags/stage.js';
import { perService, type ServiceId } from '../../../src/registry/contracts.js';

// Every service on legacy, from the registry; a few on other stages to tell them apart.
const DEFAULTS: Record<ServiceId, Stage> = { ...perService((): Stage => 'legacy'), 'project-tasks': 'shadow', 'test-execution': 'socketio', 'knowledge-items': 'retired' };
const EVENT_TIMEOUT_MS = 5000;
// Unleash's own strategy, as the oracle for "same stickiness as Unleash";
// require() because it is a CommonJS default export.
type FlexibleRolloutModule = typeof import('unleash-client/lib/strategy/flexible-rollout-strategy.js');
const { default: FlexibleRolloutStrategy } = createRequire(import.meta.url)(
  'unleash-client/lib/strategy/flexible-rollout-strategy.js',
) as FlexibleRolloutModule;

/** Resolves on the next `event` (matching `accept`), rejects after a deadline. */
function nextEvent<T = undefined>(emitter: EventEmitter, event: string, accept: (value: T) => boolean = () => true): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`no '${event}' within ${EVENT_TIMEOUT_MS} ms`));
    }, EVENT_TIMEOUT_MS);
    const listener = (value: T): void => {
      if (!accept(value)) return;
      clearTimeout(timer);
      emitter.off(event, listener);
      resolve(value);
    };
    emitter.on(event, listener);
  });
}

let dir: string;
let path: string;
const sources: FileFlagSource[] = [];

function source(options: Partial<FileFlagSourceOptions> = {}): FileFlagSource {
  const created = new FileFlagSource({ path, defaults: DEFAULTS, ...options });
  sources.push(created);
  return created;
}

/** Writes like most editors do: a temp file renamed over the target (new inode). */
async function replaceFile(content: unknown): Promise<void> {
  const temp = `${path}.tmp-${Math.random().toString(16).slice(2)}`;
  await writeFile(temp, typeof content === 'string' ? content : JSON.stringify(content));
  await rename(temp, path);
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'switchyard-flags-'));
  path = join(dir, 'flags.json');
});

afterEach(async () => {
  await Promise.all(sources.splice(0).map((created) => created.close()));
  await rm(dir, { recursive: true, force: true });
});

describe('FileFlagSource', () => {
  it('answers the plan stages when the file is missing, and is healthy', async () => {
    const flags = source();
    await flags.start();
    for (const [service, stage] of Object.entries(DEFAULTS) as [ServiceId, Stage][]) {
      expect(flags.stageFor(service, { clientId: 'c1' })).toBe(stage);
      expect(flags.baseStage(service)).toBe(stage);
    }
    expect(flags.status()).toMatchObject({ kind: 'file', healthy: true });
    expect(flags.status().error).toBeUndefined();
  });

  it('takes listed services from the file, in both forms, and the plan for the rest', async () => {
    await writeFile(path, JSON.stringify({ 'crawl-progress': 'socketio', 'mcp-logs': { stage: 'shadow' } }));
    const flags = source();
    await flags.start();
    expect(flags.stageFor('crawl-progress', {})).toBe('socketio');
    expect(flags.stageFor('mcp-logs', {})).toBe('shadow');
    expect(flags.stageFor('knowledge-items', {})).toBe('retired');
  });

  it('puts a sticky percent of clients on the rollout stage, exactly as Unleash flexibleRollout would', async () => {
    await writeFile(
      path,
      JSON.stringify({ 'agent-chat': { stage: 'legacy', rollout: { stage: 'socketio', percent: 30 } } }),
    );
    const flags = source({ flagNames: { 'agent-chat': 'plan.agent-chat' } });
    await flags.start();
    const unleash = new FlexibleRolloutStrategy();
    const ids = Array.from({ length: 1000 }, (_, index) => `client-${index}`);

    const first = ids.map((clientId) => flags.stageFor('agent-chat', { clientId }));
    const again = ids.map((clientId) => flags.stageFor('agent-chat', { clientId }));
    expect(again).toEqual(first);
    const inRollout = first.filter((stage) => stage === 'socketio').length;
    expect(inRollout).toBeGreaterThan(250);
    expect(inRollout).toBeLessThan(350);
    expect(first.filter((stage) => stage !== 'socketio').every((stage) => stage === 'legacy')).toBe(true);
    expect(flags.rollout('agent-chat')).toEqual({ stage: 'socketio', percent: 30 });
    expect(flags.rollout('mcp-logs')).toBeUndefined();

    for (const [index, clientId] of ids.entries()) {
      const enabled = unleash.isEnabled(
        { rollout: '30', stickiness: 'clientId', groupId: 'plan.agent-chat' },
        { properties: { clientId } },
      );
      expect(first[index], clientId).toBe(enabled ? 'socketio' : 'legacy');
    }

    // A fresh source (a restart) keeps every client where it was.
    const restarted = source({ flagNames: { 'agent-chat': 'plan.agent-chat' } });
    await restarted.start();
    expect(ids.map((clientId) => restarted.stageFor('agent-chat', { clientId }))).toEqual(first);
  });

  it('falls back to the remote address as the stickiness key, and to the base stage with neither', async () => {
    await writeFile(path, JSON.stringify({ 'mcp-logs': { stage: 'legacy', rollout: { stage: 'shadow', percent: 50 } } }));
    const flags = source();
    await flags.start();
    for (let index = 0; index < 50; index += 1) {
      const address = `10.0.0.${index}`;
      expect(flags.stageFor('mcp-logs', { remoteAddress: address })).toBe(flags.stageFor('mcp-logs', { clientId: address }));
    }
    expect(flags.stageFor('mcp-logs', {})).toBe('legacy');
    expect(flags.baseStage('mcp-logs')).toBe('legacy');
  });

  it('picks up a file replaced by rename, and one rewritten in place, with one changed each', async () => {
    await writeFile(path, JSON.stringify({ 'crawl-progress': 'legacy' }));
    const flags = source({ debounceMs: 20 });
    await flags.start();

    let changed = nextEvent(flags, 'changed');
    await replaceFile({ 'crawl-progress': 'shadow' });
    await changed;
    expect(flags.stageFor('crawl-progress', {})).toBe('shadow');

    changed = nextEvent(flags, 'changed');
    await writeFile(path, JSON.stringify({ 'crawl-progress': 'socketio' }));
    await changed;
    expect(flags.stageFor('crawl-progress', {})).toBe('socketio');
  });

  it('does not emit changed when the content means the same', async () => {
    await writeFile(path, JSON.stringify({ 'crawl-progress': 'socketio' }));
    const flags = source();
    await flags.start();
    const onChanged = vi.fn();
    flags.on('changed', onChanged);

    await replaceFile('{\n  "crawl-progress": { "stage": "socketio" }\n}\n');
    await flags.refresh();
    // Listing a service on its plan stage, or a 0% rollout, changes nothing either.
    await replaceFile({
      'crawl-progress': 'socketio',
      'agent-chat': { stage: 'legacy', rollout: { stage: 'socketio', percent: 0 } },
    });
    await flags.refresh();
    expect(onChanged).not.toHaveBeenCalled();
  });

  it('keeps the last good flags on an invalid file, reports the file and field, then recovers', async () => {
    await writeFile(path, JSON.stringify({ 'agent-chat': 'socketio' }));
    const logger: FlagLogger = { info: vi.fn(), warn: vi.fn(), error: vi.fn() };
    const flags = source({ logger });
    await flags.start();

    let status = nextEvent<FlagSourceStatus>(flags, 'status', (value) => !value.healthy);
    await replaceFile({ 'agent-chat': { stage: 'socketio', rollout: { stage: 'shadow', percent: 150 } } });
    const unhealthy = await status;
    expect(unhealthy.error).toContain(path);
    expect(unhealthy.error).toContain('agent-chat.rollout.percent');
    expect(flags.status().lastSyncAt).toBeTypeOf('number');
    expect(flags.stageFor('agent-chat', { clientId: 'c1' })).toBe('socketio');
    expect(logger.error).toHaveBeenCalledTimes(1);

    // Another kind of breakage: the message changes, the flags still do not.
    status = nextEvent<FlagSourceStatus>(flags, 'status', (value) => value.error?.includes('invalid JSON') ?? false);
    await replaceFile('{ "agent-chat": ');
    await status;
    expect(flags.stageFor('agent-chat', { clientId: 'c1' })).toBe('socketio');

    status = nextEvent<FlagSourceStatus>(flags, 'status', (value) => value.error?.includes('crawl-progres') ?? false);
    await replaceFile({ 'crawl-progres': 'socketio' });
    await status;

    status = nextEvent<FlagSourceStatus>(flags, 'status', (value) => value.healthy);
    const changed = nextEvent(flags, 'changed');
    await replaceFile({ 'agent-chat': 'shadow' });
    await Promise.all([status, changed]);
    expect(flags.stageFor('agent-chat', { clientId: 'c1' })).toBe('shadow');
    expect(flags.status().error).toBeUndefined();
  });

  it('goes back to the plan stages when the file is deleted', async () => {
    await writeFile(path, JSON.stringify({ 'crawl-progress': 'retired' }));
    const flags = source({ debounceMs: 20 });
    await flags.start();
    const changed = nextEvent(flags, 'changed');
    await unlink(path);
    await changed;
    expect(flags.stageFor('crawl-progress', {})).toBe('legacy');
    expect(flags.status().healthy).toBe(true);
  });

  it('follows the file by polling in poll mode, and when its directory does not exist yet', async () => {
    const flags = source({ mode: 'poll', pollIntervalMs: 50 });
    await flags.start();
    const changed = nextEvent(flags, 'changed');
    await writeFile(path, JSON.stringify({ 'project-creation': 'socketio' }));
    await changed;
    expect(flags.stageFor('project-creation', {})).toBe('socketio');

    const nested = join(dir, 'later', 'flags.json');
    const late = source({ path: nested, pollIntervalMs: 50 });
    await late.start();
    const lateChanged = nextEvent(late, 'changed');
    await mkdir(join(dir, 'later'));
    await writeFile(nested, JSON.stringify({ 'project-creation': 'shadow' }));
    await lateChanged;
    expect(late.stageFor('project-creation', {})).toBe('shadow');
  });
});
