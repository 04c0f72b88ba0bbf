import type { AckOk, EventClient } from './service-module.js';

/** One snapshot event: name and payload (without `seq`). */
export type SnapshotEvent = readonly [event: string, payload: Record<string, unknown>];

/** The ack of a successful join. */
export type JoinAck = AckOk & { room: string; seq: number };

/**
 * The join every service does: subscribe the client to the room and send the
 * snapshot events stamped with the room's head sequence, in one synchronous
 * step, so the snapshot and the live events that follow are contiguous (and
 * the bridge's resume can swap the snapshot for a replay).
 */
export function joinRoom(client: EventClient, room: string, head: number, snapshot: readonly SnapshotEvent[]): JoinAck {
  client.join(room);
  for (const [event, payload] of snapshot) client.emit(event, { ...payload, seq: head });
  return { ok: true, room, seq: head };
}
