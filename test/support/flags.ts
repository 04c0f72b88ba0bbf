import { OverrideFlagSource } from '../../src/flags/override-flag-source.js';
import { PlanFlagSource } from '../../src/flags/plan-flag-source.js';
import type { Stage } from '../../src/flags/stage.js';
import { SERVICE_IDS, type ServiceId } from '../../src/registry/contracts.js';

/** A flag source whose stages a test sets through overrides (or the admin API). */
export function overridableFlags(initial: Stage = 'legacy'): OverrideFlagSource {
  const defaults = Object.fromEntries(SERVICE_IDS.map((id) => [id, initial])) as Record<ServiceId, Stage>;
  return new OverrideFlagSource(new PlanFlagSource({ defaults }));
}

export const ADMIN_TOKEN = 'test-admin-token';
export const adminHeaders = { authorization: `Bearer ${ADMIN_TOKEN}` };
