import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import type { FlagContext, FlagSource, FlagSourceStatus } from '../../../src/flags/flag-source.js';
import { createFlagSource } from '../../../src/flags/index.js';
import { OverrideFlagSource } from '../../../src/flags/override-flag-source.js';
import { PlanFlagSource } from '../../../src/flags/plan-flag-source.js';
import type { Stage } from '../../../src/flags/stage.js';
import { perService, type ServiceId } from '../../../src/registry/contracts.js';

// Every service on legacy, from the registry; a few on other stages to tell them apart.
const DEFAULTS: Record<ServiceId, Stage> = { ...perService((): Stage => 'legacy'), 'project-tasks': 'shadow', 'test-execution': 'socketio', 'knowledge-items': 'retired' };

/** An in-memory inner source whose answer depends on the client, like a rollout. */
class FakeSource extends EventEmitter implements FlagSource {
  readonly kind = 'unleash' as const;
  rolloutStage: Stage = 'socketio';
  closed = false;
  stageFor(service: ServiceId, context: FlagContext): Stage {
    return context.clientId === 'early-adopter' ? this.rolloutStage : DEFAULTS[service];
  }
  baseStage(service: ServiceId): Stage {
    return DEFAULTS[service];
  }
  status(): FlagSourceStatus {
    return { kind: 'unleash', healthy: false, error: 'down' };
  }
  start = vi.fn(async () => undefined);
  refresh = vi.fn(async () => undefined);
  async close(): Promise<void> {
    this.closed = true;
  }
}

describe('OverrideFlagSource', () => {
  it('passes everything through while there is no override', async () => {
    const inner = new FakeSource();
    const flags = new OverrideFlagSource(inner);
    expect(flags.kind).toBe('unleash');
    expect(flags.stageFor('agent-chat', { clientId: 'early-adopter' })).toBe('socketio');
    expect(flags.stageFor('agent-chat', { clientId: 'someone' })).toBe('legacy');
    expect(flags.baseStage('project-tasks')).toBe('shadow');
    expect(flags.status()).toEqual({ kind: 'unleash', healthy: false, error: 'down' });
    expect(flags.sourceOf('agent-chat')).toBe('unleash');
    await flags.start();
    await flags.refresh();
    expect(inner.start).toHaveBeenCalledOnce();
    expect(inner.refresh).toHaveBeenCalledOnce();
  });

  it('wins over the inner source for every client until cleared, emitting changed at once', () => {
    const inner = new FakeSource();
    const flags = new OverrideFlagSource(inner);
    const onChanged = vi.fn();
    flags.on('changed', onChanged);

    flags.setOverride('agent-chat', 'legacy');
    expect(onChanged).toHaveBeenCalledTimes(1);
    expect(flags.stageFor('agent-chat', { clientId: 'early-adopter' })).toBe('legacy');
    expect(flags.stageFor('agent-chat', {})).toBe('legacy');
    expect(flags.baseStage('agent-chat')).toBe('legacy');
    expect(flags.sourceOf('agent-chat')).toBe('override');
    expect(flags.sourceOf('mcp-logs')).toBe('unleash');
    expect(flags.overrides()).toEqual({ 'agent-chat': 'legacy' });

    // Setting the same override again changes nothing, so no event.
    flags.setOverride('agent-chat', 'legacy');
    expect(onChanged).toHaveBeenCalledTimes(1);

    // The inner source keeps changing underneath; the override still wins.
    inner.rolloutStage = 'retired';
    inner.emit('changed');
    expect(onChanged).toHaveBeenCalledTimes(2);
    expect(flags.stageFor('agent-chat', { clientId: 'early-adopter' })).toBe('legacy');

    flags.clearOverride('agent-chat');
    expect(onChanged).toHaveBeenCalledTimes(3);
    expect(flags.stageFor('agent-chat', { clientId: 'early-adopter' })).toBe('retired');
    expect(flags.overrides()).toEqual({});
    expect(flags.sourceOf('agent-chat')).toBe('unleash');

    flags.clearOverride('agent-chat');
    expect(onChanged).toHaveBeenCalledTimes(3);
  });

  it('reports the inner rollout (what the console shows as "shadow + 25% socketio"), and none while overridden', () => {
    const inner = Object.assign(new FakeSource(), { rollout: (service: ServiceId) => (service === 'agent-chat' ? { stage: 'socketio' as Stage, percent: 25 } : undefined) });
    const flags = new OverrideFlagSource(inner);
    expect(flags.rollout('agent-chat')).toEqual({ stage: 'socketio', percent: 25 });
    expect(flags.rollout('mcp-logs')).toBeUndefined();
    flags.setOverride('agent-chat', 'legacy');
    expect(flags.rollout('agent-chat')).toBeUndefined();
    expect(new OverrideFlagSource(new FakeSource()).rollout('agent-chat')).toBeUndefined();
  });

  it('hands out a snapshot of the overrides, not its own state', () => {
    const flags = new OverrideFlagSource(new FakeSource());
    flags.setOverride('mcp-logs', 'shadow');
    const snapshot = flags.overrides();
    snapshot['mcp-logs'] = 'retired';
    expect(flags.stageFor('mcp-logs', {})).toBe('shadow');
  });

  it('refuses unknown services and stages from untyped callers', () => {
    const flags = new OverrideFlagSource(new FakeSource());
    expect(() => flags.setOverride('chat' as ServiceId, 'legacy')).toThrow(RangeError);
    expect(() => flags.setOverride('agent-chat', 'on' as Stage)).toThrow(RangeError);
    expect(flags.overrides()).toEqual({});
  });

  it('forwards the inner status events, and stops listening once closed', async () => {
    const inner = new FakeSource();
    const flags = new OverrideFlagSource(inner);
    const onStatus = vi.fn();
    const onChanged = vi.fn();
    flags.on('status', onStatus);
    flags.on('changed', onChanged);
    const status: FlagSourceStatus = { kind: 'unleash', healthy: true, lastSyncAt: 1 };
    inner.emit('status', status);
    expect(onStatus).toHaveBeenCalledWith(status);

    await flags.close();
    expect(inner.closed).toBe(true);
    inner.emit('changed');
    expect(onChanged).not.toHaveBeenCalled();
    expect(inner.listenerCount('changed')).toBe(0);
  });
});

describe('createFlagSource', () => {
  it('picks the plan source when neither Unleash nor a file is configured, wrapped for overrides', async () => {
    const flags = createFlagSource({ defaults: DEFAULTS });
    expect(flags).toBeInstanceOf(OverrideFlagSource);
    expect(flags.inner).toBeInstanceOf(PlanFlagSource);
    await flags.start();
    expect(flags.kind).toBe('plan');
    expect(flags.status()).toMatchObject({ kind: 'plan', healthy: true });
    expect(flags.stageFor('knowledge-items', { clientId: 'x' })).toBe('retired');
    await flags.close();
  });

  it('prefers Unleash over a file, and a file over the plan', async () => {
    const unleash = createFlagSource({
      defaults: DEFAULTS,
      unleashUrl: 'http://127.0.0.1:9/api',
      flagsFile: '/nonexistent/flags.json',
    });
    const file = createFlagSource({ defaults: DEFAULTS, flagsFile: '/nonexistent/flags.json' });
    expect(unleash.kind).toBe('unleash');
    expect(file.kind).toBe('file');
    // Never started: closing must still be clean.
    await Promise.all([unleash.close(), file.close()]);
  });

  it('loads the Unleash client on start: until Unleash answers it serves the plan stages and says why it is unhealthy', async () => {
    // Port 9 (discard): nothing answers, so start() gives up after its bounded wait.
    const flags = createFlagSource({ defaults: DEFAULTS, unleashUrl: 'http://127.0.0.1:9/api', unleashStartTimeoutMs: 300, unleashDisableMetrics: true });
    expect(flags.status()).toMatchObject({ kind: 'unleash', healthy: false });
    await flags.start();
    expect(flags.status()).toMatchObject({ kind: 'unleash', healthy: false, error: expect.stringContaining('no sync within 300 ms') });
    expect(flags.stageFor('knowledge-items', { clientId: 'x' })).toBe('retired');
    await flags.close();
  });
});
