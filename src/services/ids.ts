/** The service ids, derived from the contract registry (`src/registry/contracts.ts`). */
export { SERVICE_IDS, isServiceId, type ServiceId } from '../registry/contracts.js';
