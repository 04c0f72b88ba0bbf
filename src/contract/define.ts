/**
 * A service's contract: everything both sides of the wire know about it, in
 * one value. It is the ground floor of the code base: it imports nothing at
 * run time (its event maps are types, its plan is the bundled JSON file), so
 * the browser SDK, the server, the adapter and the tests can all read it.
 */

/** Room parameters: the join payload's entity ids (e.g. `{ progress_id }`). */
export type RoomParams = Readonly<Record<string, string>>;

/**
 * One service's contract. `Server` and `Client` are its Socket.IO event maps
 * (server → client and client → server, from its `events.ts`); they exist only
 * as types (`types` is never set at run time).
 */
export interface ServiceContract<
  Id extends string = string,
  Server extends object = object,
  Client extends object = object,
  Join extends string = string,
  Params extends RoomParams = RoomParams,
> {
  readonly id: Id;
  /** The plan file as written (`migrations-plan/<id>.json`); the server validates it at startup. */
  readonly plan: unknown;
  /** The client → server event that joins the room (the plan's `socketio.join.event`). */
  readonly join: Join;
  /**
   * The room of one entity. The only room function of the service: its
   * domain, handlers and legacy endpoint use it, and a unit test checks that it
   * agrees with the plan's `socketio.room` template, which the adapter, the
   * server and the SDK render.
   */
  readonly room: (params: Params) => string;
  /** Type-only carrier of the event maps. */
  readonly types?: { readonly server: Server; readonly client: Client };
}

/** Any contract, whatever its maps (registries hold these). */
// `never` params: a contract whose room takes `{ progress_id }` is still a contract.
export type AnyContract = ServiceContract<string, object, object, string, never>;

/** Server → client event map of a contract. */
export type ServerEventsOf<C> = C extends ServiceContract<string, infer S, object, string, never> ? S : never;
/** Client → server event map of a contract. */
export type ClientEventsOf<C> = C extends ServiceContract<string, object, infer K, string, never> ? K : never;

/**
 * Define a service contract. Curried so the event maps are given explicitly
 * and the rest is inferred:
 *
 * ```ts
 * export const crawlProgress = defineService<CrawlServerToClientEvents, CrawlClientToServerEvents>()({
 *   id: 'crawl-progress', plan, join: 'join_crawl', room: ({ progress_id }) => `crawl_${progress_id}`,
 * });
 * ```
 */
export function defineService<Server extends object, Client extends object>() {
  return <const Id extends string, const Join extends keyof Client & string, Params extends RoomParams = RoomParams>(contract: {
    id: Id;
    plan: unknown;
    join: Join;
    room: (params: Params) => string;
  }): ServiceContract<Id, Server, Client, Join, Params> => Object.freeze({ ...contract });
}
