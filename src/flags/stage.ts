/**
 * The four stages a service moves through. Order matters: it is the order of a
 * forward rollout, and the admin API and README list them in this order.
 *
 * - legacy:   legacy handlers serve legacy clients; the namespace refuses clients.
 * - shadow:   as legacy, and the Socket.IO handlers run beside it, their output
 *             compared frame by frame (nothing from them reaches a client).
 * - socketio: the namespace accepts clients; legacy clients are served by the
 *             Socket.IO handlers through the adapter.
 * - retired:  the legacy endpoint refuses new connections; Socket.IO serves all.
 */
export const STAGES = ['legacy', 'shadow', 'socketio', 'retired'] as const;
export type Stage = (typeof STAGES)[number];

export function isStage(value: unknown): value is Stage {
  return typeof value === 'string' && (STAGES as readonly string[]).includes(value);
}
