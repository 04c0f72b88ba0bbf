import { z } from 'zod';
import { STAGES } from '../flags/stage.js';

/**
 * A frame template. Strings beginning with `$` are expressions:
 * - `$payload`        the event payload, minus `seq` and the mapping's `params` keys
 * - `$payload.a.b`    one field of it (`$payload.a?` leaves the key out when absent)
 * - `$params.x`       a connection parameter (path/query, e.g. the tasks `session_id`)
 * - `$item`           the element, in a mapping with `each`
 * Any other value is a literal, and must match exactly when decoding.
 * Key order in the template is the key order on the wire.
 */
export type Template = string | number | boolean | null | Template[] | { [key: string]: Template };
const template: z.ZodType<Template> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(template), z.record(z.string(), template)]),
);

const primitive = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/** Server → client: one Socket.IO event to one legacy frame (or one per element with `each`). */
export const eventMappingSchema = z.strictObject({
  /** Socket.IO event name; `$join_ack` maps the join acknowledgement. */
  event: z.string().min(1),
  /** Only when these payload fields equal these values (first matching row wins). */
  when: z.record(z.string(), primitive).optional(),
  /** Payload keys that come from the connection, not the frame (filled from params when decoding). */
  params: z.record(z.string(), z.string().regex(/^\$params\.[A-Za-z0-9_]+$/)).optional(),
  /** Emit one frame per element of this payload array field, bound to `$item`. */
  each: z.string().optional(),
  /** Only for connections that have (true) / do not have (false) other legacy peers in the room. */
  whenPeers: z.boolean().optional(),
  /** Frames this row produces are not decoded back (e.g. replays that reuse another frame's type). */
  decode: z.boolean().default(true),
  /**
   * The frame. `null` means the legacy server sent nothing for this event: the
   * row matches and yields no frame (e.g. live list changes a legacy endpoint
   * only ever sent on connect). Such rows never decode.
   */
  frame: template,
  note: z.string().optional(),
});

/**
 * The guard's objectives for one service (src/rollout/guard.ts): while the
 * service is on `socketio` or in a gradual rollout, each window's
 * measurements are checked against every objective given; a breach in
 * `consecutiveWindows` windows in a row rolls it back to its previous stage.
 * Rates are per second over the window.
 */
export const guardSchema = z.strictObject({
  /** Default true when the block is present (absent: no guard). */
  enabled: z.boolean().default(true),
  /** Length of one measurement window, ms. Default 30000. */
  windowMs: z.number().int().min(100).max(3_600_000).default(30_000),
  /** Breached windows in a row that trigger the rollback. Default 3. */
  consecutiveWindows: z.number().int().min(1).max(100).default(3),
  objectives: z.strictObject({
    /** Errors (INTERNAL, STORE_UNAVAILABLE) per second, every surface. */
    maxErrorsPerSecond: z.number().min(0).optional(),
    /** Catalogued refusals per second, every surface (not the stage's own SERVICE_ON_LEGACY, STAGE_CHANGED, SHUTTING_DOWN). */
    maxRefusalsPerSecond: z.number().min(0).optional(),
    /** Connections closed per second, both transports. */
    maxDisconnectsPerSecond: z.number().min(0).optional(),
    /** Shadow mismatches per window (a rollout from shadow still compares). */
    maxShadowMismatches: z.number().int().min(0).optional(),
    /** 99th percentile of publish → written, ms, both transports (from the latency histogram's buckets). */
    maxDeliveryLatencyP99Ms: z.number().min(0).optional(),
  }).refine((o) => Object.values(o).some((v) => v !== undefined), 'a guard needs at least one objective'),
});

export type GuardPlan = z.infer<typeof guardSchema>;

export const planSchema = z.strictObject({
  $schema: z.string().optional(),
  /**
   * The service id: a registry id, or a hosted extra service's. The loader
   * checks it against the id the plan was loaded for.
   */
  service: z.string().regex(/^[a-z][a-z0-9-]*$/),
  title: z.string().min(1),
  /** high | medium | low, as the migration plan ranks the services. */
  priority: z.enum(['high', 'medium', 'low']),
  /** Rollout order: lower numbers move first. */
  phase: z.number().int().min(1),
  /** The stage when no flag source says otherwise. */
  stage: z.enum(STAGES),
  /** Feature-flag name in Unleash (and the flags file key is the service id). */
  flag: z.string().regex(/^[A-Za-z0-9._~-]+$/),
  legacy: z.strictObject({
    /** Path with `:name` parameters, e.g. `/api/crawl-progress/:progress_id`. */
    path: z.string().startsWith('/'),
    /** Query parameters the endpoint reads (others are ignored). */
    query: z.array(z.string()).default([]),
    /** Connection parameters derived when a query parameter is missing: name → `uuid4`. */
    defaults: z.record(z.string(), z.enum(['uuid4'])).default({}),
    /** Server heartbeat: a fixed-cadence frame, or null for none. */
    heartbeat: z.strictObject({ intervalMs: z.number().int().positive(), frame: template }).nullable(),
    /** Answer to the raw text frame `ping`, or null when the server never reads. */
    pong: template.nullable(),
  }),
  socketio: z.strictObject({
    namespace: z.string().regex(/^\/[a-z]+$/),
    /** Room name template with `{param}` placeholders, e.g. `crawl_{progress_id}`. */
    room: z.string().min(1),
    /** The join event a Socket.IO client sends, and its payload built from the legacy URL. */
    join: z.strictObject({ event: z.string().min(1), payload: z.record(z.string(), template) }),
    leave: z.string().min(1).nullable(),
    /** Client → server events besides join/leave (documentation and SDK typing). */
    clientEvents: z.array(z.string()).default([]),
  }),
  /** Server → client mappings, most specific first. */
  events: z.array(eventMappingSchema).min(1),
  notes: z.array(z.string()).default([]),
  /** Automatic rollback on a breached objective. Optional: absent, the service has no guard. */
  guard: guardSchema.optional(),
});

export type ServicePlan = z.infer<typeof planSchema>;
export type EventMapping = z.infer<typeof eventMappingSchema>;
