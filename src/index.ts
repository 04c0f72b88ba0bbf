/**
 * Switchyard's embedding API: build a server in-process, drive its services
 * through their domains (`sy.modules`) or the hub, and choose the flag source.
 */
export { createSwitchyard, type Switchyard, type SwitchyardOptions } from './server/app.js';
export { createFlagSource, type CreateFlagSourceOptions, type FlagSource, type FlagContext, type Stage, STAGES } from './flags/index.js';
export { loadPlans, PlanError } from './adapter/plan-loader.js';
export type { ServicePlan } from './adapter/plan-schema.js';
export { frameToEvent } from './adapter/frame-to-event.js';
export { eventToFrames } from './adapter/event-to-frame.js';
export { ERRORS, SwitchyardError, type ErrorCode } from './errors/catalogue.js';
export { SERVICE_IDS, type HostedId, type ServiceId } from './registry/contracts.js';
// A service hosted beside the registry's (`extraServices`): its contract, and its factory.
export { defineService, type ServiceContract } from './contract/define.js';
export { serve, type ServerService } from './registry/services.js';
export type { ServiceContext, ServiceModule, LegacyEndpoint, EventHandler, EventClient } from './services/service-module.js';
export { publisherFor, type Publisher } from './domain/publisher.js';
export { MemoryEventLog } from './domain/memory-event-log.js';
export type { EventLog, RoomEvent, ReplayResult } from './domain/event-log.js';
export { jwtVerifier, type ClientVerifier, type ClientIdentity, type ClientCredentials, type JwtVerifierOptions } from './auth/verifier.js';
