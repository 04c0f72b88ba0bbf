/**
 * Switchyard client SDK: one typed event API for a service, whether
 * Switchyard serves this client on the service's Socket.IO namespace or on
 * its legacy WebSocket endpoint, following live stage changes without losing
 * or repeating an event. Runs in browsers and Node (no Node-only imports).
 */
export { connect, SwitchyardClient, type ConnectOptions } from './client.js';
export type { ChatSendOptions, SentMessage } from './chat.js';
export { DEFAULT_BACKOFF, backoffDelay, type BackoffPolicy } from './backoff.js';
export { CLIENT_ERRORS, SwitchyardClientError, classifyClose, isRetryable, type ClientErrorCode, type FailureCode } from './codes.js';
export type { FetchLike } from './discovery.js';
export type { WebSocketConstructor, WebSocketLike } from './transports/legacy-transport.js';
export { JOIN_EVENTS } from './types.js';
export type {
  ClientEvents, ClientState, ClientWarning, JoinParams, Journal, LifecycleEvents, ReceivedRecord, ResyncInfo,
  ServiceContracts, ServiceEventName, ServiceKey, IdOf, ServiceEventPayload, TransportChange, TransportKind,
} from './types.js';
export type { ServiceId } from '../registry/contracts.js';
