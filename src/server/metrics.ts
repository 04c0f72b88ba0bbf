import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RoomEvent } from '../domain/event-log.js';
import type { RoomHub } from '../domain/room-hub.js';
import { ERRORS, type ErrorCode } from '../errors/catalogue.js';
import type { FlagSourceStatus } from '../flags/flag-source.js';
import { STAGES, type Stage } from '../flags/stage.js';
import type { HostedId } from '../registry/contracts.js';

export const TRANSPORTS = ['legacy', 'socketio'] as const;
export type Transport = (typeof TRANSPORTS)[number];
export const SURFACES = ['legacy', 'socketio', 'rest'] as const;
export type Surface = (typeof SURFACES)[number];
export const SWITCH_DIRECTIONS = ['cutover', 'rollback'] as const;
export type SwitchDirection = (typeof SWITCH_DIRECTIONS)[number];
/** The `service` label of a refusal no service can be named for (an unknown path, a bad request target). */
export const NO_SERVICE = 'none';

/** Codes counted as errors (the server failed); every other catalogued code is a refusal (the request was refused). */
const ERROR_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['INTERNAL', 'STORE_UNAVAILABLE']);
const ALL_CODES = Object.keys(ERRORS) as ErrorCode[];

export function isErrorClass(code: ErrorCode): boolean {
  return ERROR_CODES.has(code);
}

/** What the stage gauges read at scrape time (the stage controller, when there is one). */
export interface StageView {
  stage(service: HostedId): Stage;
  /** Percentage of clients the gradual rollout puts on its target stage; 100 outside a rollout. */
  rolloutPercent(service: HostedId): number;
  /** The flag source's health, by source name (`plan`, `file`, `unleash`, `override`). */
  flagSources(): ReadonlyArray<{ source: string; status: FlagSourceStatus }>;
}

/** Latency buckets (seconds): a delivery is normally sub-millisecond; replays and backlogs take longer. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const SWITCH_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

type PerTransport = Record<Transport, number>;

/**
 * Prometheus metrics of one Switchyard instance. A registry per instance (not
 * prom-client's global one), so several servers in one process — tests,
 * benchmarks — do not collide.
 *
 * The names are fixed (the console and the Grafana dashboard read them):
 * - switchyard_stage{service,stage}                      gauge 1 for the service's current stage, 0 for the others (stage ∈ legacy|shadow|socketio|retired)
 * - switchyard_rollout_percent{service}                  gauge, share of clients (0–100) the gradual rollout puts on the target stage; 100 when not in a rollout
 * - switchyard_connections{service,transport}            gauge, open connections (transport ∈ legacy|socketio)
 * - switchyard_events_published_total{service}           counter, room events published (was wrongly a gauge)
 * - switchyard_events_delivered_total{service,transport} counter, events written to clients
 * - switchyard_events_received_total{service,transport}  counter, client → server messages/events received
 * - switchyard_refusals_total{service,surface,code}      counter, catalogued refusals (surface ∈ legacy|socketio|rest)
 * - switchyard_errors_total{service,surface,code}        counter, INTERNAL and other 5xx-class failures
 * - switchyard_disconnects_total{service,transport}      counter, connections closed (any reason)
 * - switchyard_switch_duration_seconds{service,direction} histogram, flag change → last open connection of the service switched (direction ∈ cutover|rollback)
 * - switchyard_resumes_total{service,transport,result}   counter, result ∈ resumed|resync
 * - switchyard_shadow_comparisons_total{service,result}  counter, result ∈ match|mismatch (exists)
 * - switchyard_slow_consumers_total{service,transport}   counter (exists; the service label must be the service id, not the namespace)
 * - switchyard_flow_refusals_total{code,transport}       counter (exists)
 * - switchyard_delivery_latency_seconds{service,transport} histogram, publish → written to the socket, server side
 * - switchyard_flag_source_up{source}                    gauge 1/0 (source ∈ plan|file|unleash|override…)
 * - switchyard_flag_source_last_refresh_seconds{source}  gauge, unix time of the last successful refresh
 * - default process metrics with prefix `switchyard_` (switchyard_process_cpu_seconds_total, …; not switchyard_process_process_*)
 *
 * Every per-service series exists from start-up (0 for every service and
 * label value), so a service with no traffic still has series. `service` on
 * refusals and errors is {@link NO_SERVICE} when no service can be named.
 *
 * Hot path: deliveries and received messages are tallied in plain numbers
 * (one property increment) and handed to prom-client at scrape time; the
 * delivery latency is observed once per event per transport, not per socket.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly connections: Gauge<'service' | 'transport'>;
  readonly eventsPublished: Counter<'service'>;
  readonly refusals: Counter<'service' | 'surface' | 'code'>;
  readonly errors: Counter<'service' | 'surface' | 'code'>;
  readonly disconnects: Counter<'service' | 'transport'>;
  readonly switchDuration: Histogram<'service' | 'direction'>;
  readonly resumes: Counter<'service' | 'transport' | 'result'>;
  readonly slowConsumers: Counter<'service' | 'transport'>;
  readonly shadowComparisons: Counter<'service' | 'result'>;
  readonly flowRefusals: Counter<'code' | 'transport'>;
  readonly deliveryLatency: Histogram<'service' | 'transport'>;
  readonly services: readonly HostedId[];
  // Plain tallies for the hot path, read by the counters' collect().
  readonly #delivered = new Map<string, PerTransport>();
  readonly #received = new Map<string, PerTransport>();
  #stages: StageView | undefined;
  #connectionIds = 0;
  #processMetrics = false;

  constructor(hub: RoomHub, services: readonly HostedId[], planStage: (service: HostedId) => Stage) {
    this.services = services;
    const registers = [this.registry];
    for (const service of services) {
      this.#delivered.set(service, { legacy: 0, socketio: 0 });
      this.#received.set(service, { legacy: 0, socketio: 0 });
    }
    const view = (): StageView | undefined => this.#stages;
    const delivered = this.#delivered;
    const received = this.#received;
    const deliveredReported = new Map<string, PerTransport>();
    const receivedReported = new Map<string, PerTransport>();

    new Gauge({
      name: 'switchyard_stage', help: 'Current stage of each service: 1 for its stage, 0 for the others', labelNames: ['service', 'stage'], registers,
      collect() {
        for (const service of services) {
          const current = view()?.stage(service) ?? planStage(service);
          for (const stage of STAGES) this.set({ service, stage }, stage === current ? 1 : 0);
        }
      },
    });
    new Gauge({
      name: 'switchyard_rollout_percent', help: 'Share of clients (0-100) the gradual rollout puts on its target stage; 100 outside a rollout', labelNames: ['service'], registers,
      collect() {
        for (const service of services) this.set({ service }, view()?.rolloutPercent(service) ?? 100);
      },
    });
    this.connections = new Gauge({ name: 'switchyard_connections', help: 'Open connections', labelNames: ['service', 'transport'], registers });
    const published = new Map<string, number>(services.map((service) => [service, 0]));
    const publishedReported = new Map<string, number>();
    // Tallied per publish (a map update), handed to the counter at scrape time.
    hub.onBroadcast((service) => {
      published.set(service, (published.get(service) ?? 0) + 1);
    });
    this.eventsPublished = new Counter({
      name: 'switchyard_events_published_total', help: 'Room events published', labelNames: ['service'], registers,
      collect() {
        for (const [service, count] of published) {
          this.inc({ service }, count - (publishedReported.get(service) ?? 0));
          publishedReported.set(service, count);
        }
      },
    });
    new Counter({
      name: 'switchyard_events_delivered_total', help: 'Events written to clients', labelNames: ['service', 'transport'], registers,
      collect() {
        syncCounter(this, delivered, deliveredReported);
      },
    });
    new Counter({
      name: 'switchyard_events_received_total', help: 'Client to server messages and events received', labelNames: ['service', 'transport'], registers,
      collect() {
        syncCounter(this, received, receivedReported);
      },
    });
    this.refusals = new Counter({ name: 'switchyard_refusals_total', help: 'Catalogued refusals, by surface and code', labelNames: ['service', 'surface', 'code'], registers });
    this.errors = new Counter({ name: 'switchyard_errors_total', help: 'INTERNAL and other server-side failures, by surface and code', labelNames: ['service', 'surface', 'code'], registers });
    this.disconnects = new Counter({ name: 'switchyard_disconnects_total', help: 'Connections closed, for any reason', labelNames: ['service', 'transport'], registers });
    this.switchDuration = new Histogram({
      name: 'switchyard_switch_duration_seconds', help: 'Flag change to the last open connection of the service switched',
      labelNames: ['service', 'direction'], buckets: SWITCH_BUCKETS, registers,
    });
    this.resumes = new Counter({ name: 'switchyard_resumes_total', help: 'Joins that asked to resume: resumed from history, or resynced with a snapshot', labelNames: ['service', 'transport', 'result'], registers });
    this.slowConsumers = new Counter({ name: 'switchyard_slow_consumers_total', help: 'Sockets closed for not reading (SLOW_CONSUMER)', labelNames: ['service', 'transport'], registers });
    this.shadowComparisons = new Counter({ name: 'switchyard_shadow_comparisons_total', help: 'Shadow-mode frame comparisons', labelNames: ['service', 'result'], registers });
    this.flowRefusals = new Counter({ name: 'switchyard_flow_refusals_total', help: 'Messages, requests and connections refused by a flow limit (RATE_LIMITED, TOO_MANY_CONNECTIONS)', labelNames: ['code', 'transport'], registers });
    this.deliveryLatency = new Histogram({
      name: 'switchyard_delivery_latency_seconds', help: 'Publish to written to the socket, server side (once per event and transport)',
      labelNames: ['service', 'transport'], buckets: LATENCY_BUCKETS, registers,
    });
    new Gauge({
      name: 'switchyard_flag_source_up', help: 'Whether the flag source is reachable (1) or not (0)', labelNames: ['source'], registers,
      collect() {
        const sources = view()?.flagSources() ?? [{ source: 'plan', status: { kind: 'plan', healthy: true } }];
        for (const { source, status } of sources) this.set({ source }, status.healthy ? 1 : 0);
      },
    });
    const startedAt = Date.now();
    new Gauge({
      name: 'switchyard_flag_source_last_refresh_seconds', help: 'Unix time of the flag source\'s last successful refresh', labelNames: ['source'], registers,
      collect() {
        const sources = view()?.flagSources() ?? [{ source: 'plan', status: { kind: 'plan', healthy: true, lastSyncAt: startedAt } }];
        for (const { source, status } of sources) this.set({ source }, (status.lastSyncAt ?? 0) / 1000);
      },
    });

    // Every series from start-up: a service with no traffic is 0, not absent.
    for (const service of services) {
      this.eventsPublished.inc({ service }, 0);
      for (const transport of TRANSPORTS) {
        this.connections.set({ service, transport }, 0);
        this.disconnects.inc({ service, transport }, 0);
        this.slowConsumers.inc({ service, transport }, 0);
        this.deliveryLatency.zero({ service, transport });
        for (const result of ['resumed', 'resync']) this.resumes.inc({ service, transport, result }, 0);
      }
      for (const surface of SURFACES) {
        for (const code of ALL_CODES) (isErrorClass(code) ? this.errors : this.refusals).inc({ service, surface, code }, 0);
      }
      for (const direction of SWITCH_DIRECTIONS) this.switchDuration.zero({ service, direction });
      for (const result of ['match', 'mismatch']) this.shadowComparisons.inc({ service, result }, 0);
    }
    for (const transport of [...TRANSPORTS, 'rest']) {
      for (const code of ['RATE_LIMITED', 'TOO_MANY_CONNECTIONS']) this.flowRefusals.inc({ code, transport }, 0);
    }
  }

  /** The stage gauges read this from now on (the stage controller). */
  watchStages(view: StageView): void {
    this.#stages = view;
  }

  /**
   * The exposition text for /metrics. The process collectors
   * (`switchyard_process_*`: CPU, memory, GC, event-loop lag) are registered on
   * the first scrape, so their counters and histograms start there: a server
   * nobody scrapes runs no event-loop monitor and no GC observer.
   */
  async scrape(): Promise<string> {
    if (!this.#processMetrics) {
      collectDefaultMetrics({ register: this.registry, prefix: 'switchyard_' });
      this.#processMetrics = true;
    }
    return this.registry.metrics();
  }

  nextConnectionId(): number {
    return ++this.#connectionIds;
  }

  connected(service: HostedId, transport: Transport): void {
    this.connections.inc({ service, transport });
  }

  disconnected(service: HostedId, transport: Transport): void {
    this.connections.dec({ service, transport });
    this.disconnects.inc({ service, transport });
  }

  /** One event written to one client. Hot path: a property increment. */
  delivered(service: HostedId, transport: Transport, count = 1): void {
    const tally = this.#delivered.get(service);
    if (tally) tally[transport] += count;
  }

  /** One client message received. Hot path: a property increment. */
  received(service: HostedId, transport: Transport): void {
    const tally = this.#received.get(service);
    if (tally) tally[transport]++;
  }

  /** Publish → written, for one event on one transport (call once per event, not per socket). */
  observeLatency(service: HostedId, transport: Transport, event: RoomEvent, now: number): void {
    this.deliveryLatency.observe({ service, transport }, Math.max(0, now - event.at) / 1000);
  }

  /** A catalogued refusal or failure answered on `surface`: counted as an error when 5xx-class (INTERNAL…), else a refusal. */
  refused(service: HostedId | undefined, surface: Surface, code: ErrorCode): void {
    (isErrorClass(code) ? this.errors : this.refusals).inc({ service: service ?? NO_SERVICE, surface, code });
  }

  resumed(service: HostedId, transport: Transport, resumed: boolean): void {
    this.resumes.inc({ service, transport, result: resumed ? 'resumed' : 'resync' });
  }
}

/**
 * Hand a tally's growth since the last scrape to a counter (counters only go
 * up; the tally does too). `reported` remembers what the counter was given:
 * reading the counter back would run its collect() again.
 */
function syncCounter(counter: Counter<'service' | 'transport'>, tally: ReadonlyMap<string, PerTransport>, reported: Map<string, PerTransport>): void {
  for (const [service, counts] of tally) {
    let given = reported.get(service);
    if (!given) reported.set(service, given = { legacy: 0, socketio: 0 });
    for (const transport of TRANSPORTS) {
      counter.inc({ service, transport }, counts[transport] - given[transport]);
      given[transport] = counts[transport];
    }
  }
}
