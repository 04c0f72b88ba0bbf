/**
 * What the per-service suites run over: the registry's services plus the
 * services defined under test/ (test/fixtures/services/), which a suite hosts
 * with `extraServices: EXTRA_SERVICES`.
 */
import { SERVICE_IDS, isServiceId, type HostedId, type ServiceId } from '../../src/registry/contracts.js';
import type { ServerService } from '../../src/registry/services.js';
import { TEST_SERVICES } from '../fixtures/services/index.js';
import { DRIVERS, type ServiceDriver } from './drivers.js';

export { TEST_SERVICES };

/** The test services' server side, for `createSwitchyard({ extraServices })`. */
export const EXTRA_SERVICES: readonly ServerService[] = TEST_SERVICES.map((service) => service.server);

/** Every service a suite hosts, registry order then the test services. */
export const HOSTED_IDS: readonly HostedId[] = [...SERVICE_IDS, ...TEST_SERVICES.map((service) => service.server.contract.id)];

/** One driver per hosted service. */
export const HOSTED_DRIVERS: readonly ServiceDriver[] = [...DRIVERS, ...TEST_SERVICES.map((service) => service.driver)];

/** A table with one entry per hosted service. */
export function perHosted<T>(value: (service: HostedId) => T): Record<HostedId, T> {
  return Object.fromEntries(HOSTED_IDS.map((id) => [id, value(id)]));
}

/** Options that host one service only: a registry service, or a test service alone. */
export function hostOnly(service: HostedId): { services: readonly ServiceId[]; extraServices: readonly ServerService[] } {
  if (isServiceId(service)) return { services: [service], extraServices: [] };
  return { services: [], extraServices: EXTRA_SERVICES.filter((extra) => extra.contract.id === service) };
}
