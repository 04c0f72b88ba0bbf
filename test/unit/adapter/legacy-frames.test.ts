/**
 * The adapter against every example frame of the protocol corpus (test/fixtures/protocol/legacy-frames.json),
 * and of each service defined under test/ (its own examples), both directions: wire → event → wire must give the exact same text, and the
 * hand-written legacy endpoint must encode the decoded event to the same text.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { eventToFrames, renderControlFrame } from '../../../src/adapter/event-to-frame.js';
import { frameToEvent } from '../../../src/adapter/frame-to-event.js';
import { loadPlans } from '../../../src/adapter/plan-loader.js';
import type { ServicePlan } from '../../../src/adapter/plan-schema.js';
import { MemoryEventLog } from '../../../src/domain/memory-event-log.js';
import { RoomHub } from '../../../src/domain/room-hub.js';
import { SERVICE_IDS, type HostedId, type ServiceId } from '../../../src/registry/contracts.js';
import { createServiceModules } from '../../../src/registry/services.js';
import type { ServiceModule } from '../../../src/services/service-module.js';
import { EXTRA_SERVICES, TEST_SERVICES } from '../../support/hosted.js';

interface FrameExample { type: string; wire?: string; note?: string }
const corpus = JSON.parse(readFileSync(fileURLToPath(new URL('../../fixtures/protocol/legacy-frames.json', import.meta.url)), 'utf8')) as Record<string, { serverToClient: FrameExample[] }>;

/** Connection parameters of the legacy URL each corpus example was sent on (beside the corpus, in the fixtures). */
export const EXAMPLE_PARAMS = JSON.parse(readFileSync(fileURLToPath(new URL('../../fixtures/protocol/example-params.json', import.meta.url)), 'utf8')) as Record<ServiceId, Record<string, string>>;

/** Each hosted service's example frames and the parameters of the URL they were sent on. */
const EXAMPLES: ReadonlyArray<{ service: HostedId; params: Record<string, string>; frames: FrameExample[] }> = [
  ...SERVICE_IDS.map((service) => ({ service, params: EXAMPLE_PARAMS[service], frames: corpus[service]!.serverToClient })),
  ...TEST_SERVICES.map(({ server, examples }) => ({
    service: server.contract.id, params: examples.params, frames: examples.frames.map((wire) => ({ type: (JSON.parse(wire) as { type: string }).type, wire })),
  })),
];

let plans: Map<HostedId, ServicePlan>;
let modules: Map<HostedId, ServiceModule>;
beforeAll(async () => {
  plans = await loadPlans(undefined, undefined, EXTRA_SERVICES.map(({ contract }) => contract));
  const hub = new RoomHub(new MemoryEventLog());
  modules = createServiceModules({ hub, clock: () => 0, logger: pino({ level: 'silent' }), plans, extraServices: EXTRA_SERVICES });
});

describe.each(EXAMPLES)('$service legacy frames', ({ service, params, frames }) => {
  const examples = frames.filter((f) => typeof f.wire === 'string');
  it.each(examples.map((f, i) => [`${i}: ${f.type}`, f] as const))('%s round-trips exactly', (_name, example) => {
    const plan = plans.get(service)!;
    const wire = example.wire!;
    const decoded = frameToEvent(plan, wire, params);
    if (!decoded.ok) throw decoded.error;
    if (decoded.events.length === 0) {
      // A control frame: it must be exactly the plan's heartbeat or pong.
      const controls = [plan.legacy.heartbeat?.frame, plan.legacy.pong].filter((t) => t != null).map((t) => renderControlFrame(t!, { params }));
      expect(controls).toContain(wire);
      return;
    }
    const [{ event, payload }] = decoded.events as [{ event: string; payload: Record<string, unknown> }];
    expect(eventToFrames(plan, event, payload, { params })).toEqual([wire]);
    if (event === '$join_ack') return; // on-connect frame of the legacy endpoint, tested in integration
    const module = modules.get(service)!;
    const legacyFrames = module.legacy.encode({ room: 'r', seq: 1, event, payload, at: 0 }, { params });
    // Frames the legacy endpoint sends only on connect (snapshots) are not room events.
    if (legacyFrames.length > 0) expect(legacyFrames).toEqual([wire]);
  });
});
