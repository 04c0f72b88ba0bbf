import { OverrideFlagSource } from '../../src/flags/override-flag-source.js';
import { PlanFlagSource } from '../../src/flags/plan-flag-source.js';
import type { Stage } from '../../src/flags/stage.js';
import { HOSTED_IDS, perHosted } from './hosted.js';

/** A flag source whose stages a test sets through overrides (or the admin API), for every hosted service (test services included). */
export function overridableFlags(initial: Stage = 'legacy'): OverrideFlagSource {
  return new OverrideFlagSource(new PlanFlagSource({ defaults: perHosted(() => initial) }), HOSTED_IDS);
}

export const ADMIN_TOKEN = 'test-admin-token';
export const adminHeaders = { authorization: `Bearer ${ADMIN_TOKEN}` };
