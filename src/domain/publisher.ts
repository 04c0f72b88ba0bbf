import type { AnyContract, ServerEventsOf } from '../contract/define.js';
import type { HostedId } from '../registry/contracts.js';
import type { RoomEvent } from './event-log.js';
import type { RoomHub } from './room-hub.js';

type PayloadOf<F> = F extends (payload: infer P) => void ? P : never;

/** A payload as a domain publishes it: the hub adds `seq`. (Key remapping keeps index signatures.) */
export type Unsequenced<P> = { [K in keyof P as K extends 'seq' ? never : K]: P[K] };

/** The payload a domain publishes for event `E` of event map `M`. */
export type PublishPayload<M, E extends keyof M> = Unsequenced<PayloadOf<M[E]>>;

/**
 * A service's way to publish to the hub: bound to the service's id and typed
 * by its server → client event map, so a misspelt event name or a payload of
 * the wrong shape does not compile.
 */
export interface Publisher<M> {
  publish<E extends keyof M & string>(room: string, event: E, payload: PublishPayload<M, E>): RoomEvent;
}

const publishers = new WeakMap<RoomHub, Map<AnyContract, Publisher<never>>>();

/** The publisher of `contract`'s service on `hub` (one per hub and service). */
export function publisherFor<C extends AnyContract>(hub: RoomHub, contract: C): Publisher<ServerEventsOf<C>> {
  let byContract = publishers.get(hub);
  if (!byContract) {
    byContract = new Map();
    publishers.set(hub, byContract);
  }
  let publisher = byContract.get(contract) as Publisher<ServerEventsOf<C>> | undefined;
  if (!publisher) {
    // The id names a registered service (extra services included); the hub takes it as given.
    const service = contract.id as HostedId;
    publisher = {
      // Payloads are plain objects by construction of the event maps; the hub stores them untyped.
      publish: (room, event, payload) => hub.publish(service, room, event, payload as Record<string, unknown>),
    };
    byContract.set(contract, publisher as Publisher<never>);
  }
  return publisher;
}
