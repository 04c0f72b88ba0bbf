/**
 * Each contract against its plan: the id, the join event and the room function
 * must say what the plan says, since the adapter, the server and the SDK
 * render rooms from the plan's template while domains use the contract's room.
 */
import { describe, expect, it } from 'vitest';
import { planSchema } from '../../../src/adapter/plan-schema.js';
import { roomName } from '../../../src/adapter/room-name.js';
import type { RoomParams } from '../../../src/contract/define.js';
import { CONTRACTS, SERVICE_IDS } from '../../../src/registry/contracts.js';
import { TEST_SERVICES } from '../../support/hosted.js';

describe.each([...CONTRACTS, ...TEST_SERVICES.map((service) => service.server.contract)])('$id contract', (contract) => {
  const plan = planSchema.parse(contract.plan);

  it('names the plan it carries and its join event', () => {
    expect(plan.service).toBe(contract.id);
    expect(plan.socketio.join.event).toBe(contract.join);
  });

  it('renders the same room as the plan template', () => {
    const names = [...plan.socketio.room.matchAll(/\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]!);
    for (const sample of ['a1', '183e2615-fca4-4a71-a051-ab5a0292f9ff']) {
      const params: RoomParams = Object.fromEntries(names.map((name) => [name, `${sample}-${name}`]));
      const room = (contract.room as (p: RoomParams) => string)(params);
      expect(room).toBe(roomName(plan, params));
    }
  });
});

it('lists each service once, in registry order', () => {
  expect(new Set(SERVICE_IDS).size).toBe(CONTRACTS.length);
  expect([...SERVICE_IDS]).toEqual(CONTRACTS.map((c) => c.id));
});
