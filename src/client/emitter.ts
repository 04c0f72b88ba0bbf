/** An event map: event name → listener taking one context object (STYLE §4). Interfaces qualify too. */
export type EventMap<Events> = { [K in keyof Events]: (payload: never) => void };

type AnyListener = (payload: never) => void;

/**
 * A small typed emitter that runs in browsers and Node alike (no `node:events`).
 * Only the owner emits (`emitEvent` is protected, like Socket.IO's
 * `emitReserved`). A listener that throws does not break the client's state
 * machine: the error is rethrown asynchronously, where the host reports it.
 */
export class TypedEmitter<Events extends EventMap<Events>> {
  // Owned here: event → listeners, in registration order.
  readonly #listeners = new Map<keyof Events, Set<AnyListener>>();

  /** Register `listener` for `event`. */
  on<E extends keyof Events>(event: E, listener: Events[E]): this {
    let set = this.#listeners.get(event);
    if (!set) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener);
    return this;
  }

  /** Remove `listener` (all listeners of `event` when omitted). */
  off<E extends keyof Events>(event: E, listener?: Events[E]): this {
    if (listener === undefined) this.#listeners.delete(event);
    else this.#listeners.get(event)?.delete(listener);
    return this;
  }

  /** Register a listener that runs once. */
  once<E extends keyof Events>(event: E, listener: Events[E]): this {
    const wrapper = ((payload: Parameters<Events[E]>[0]) => {
      this.off(event, wrapper);
      (listener as (payload: Parameters<Events[E]>[0]) => void)(payload);
    }) as Events[E];
    return this.on(event, wrapper);
  }

  protected emitEvent<E extends keyof Events>(event: E, payload: Parameters<Events[E]>[0]): void {
    this.#dispatch(event, payload);
  }

  /**
   * Emit an event whose name and payload come off the wire. The server
   * validates what it emits against the same event maps, so the payload is
   * trusted to match the listener's type.
   */
  protected emitWire(event: string, payload: unknown): void {
    this.#dispatch(event, payload);
  }

  #dispatch(event: PropertyKey, payload: unknown): void {
    const set = this.#listeners.get(event as keyof Events);
    if (!set) return;
    // Copy: a listener may remove itself (once) or others.
    for (const listener of [...set]) {
      try {
        (listener as (payload: unknown) => void)(payload);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}
