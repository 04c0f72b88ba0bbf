import { createRequire } from 'node:module';
import type * as PromClient from 'prom-client';
import type { Counter, Gauge } from 'prom-client';
import type { RoomHub } from '../domain/room-hub.js';

// Deep requires (prom-client has no "exports" map): its index also loads the
// default process collectors and, through them, @opentelemetry/api, some 160
// modules a fresh server does not need until something scrapes /metrics.
const require = createRequire(import.meta.url);
const Registry = require('prom-client/lib/registry') as typeof PromClient.Registry;
const CounterClass = require('prom-client/lib/counter') as typeof PromClient.Counter;
const GaugeClass = require('prom-client/lib/gauge') as typeof PromClient.Gauge;

/**
 * Prometheus metrics of one Switchyard instance. A registry per instance (not
 * prom-client's global one), so several servers in one process — tests,
 * benchmarks — do not collide.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly legacyConnections: Gauge<'service'>;
  readonly socketIoConnections: Gauge<'service'>;
  readonly slowConsumers: Counter<'service' | 'transport'>;
  readonly shadowComparisons: Counter<'service' | 'result'>;
  readonly stageChanges: Counter<'service' | 'to'>;
  readonly flowRefusals: Counter<'code' | 'transport'>;
  #connectionIds = 0;
  #processMetrics: Promise<void> | undefined;

  constructor(hub: RoomHub) {
    this.legacyConnections = new GaugeClass({ name: 'switchyard_legacy_connections', help: 'Open legacy WebSocket connections', labelNames: ['service'], registers: [this.registry] });
    this.socketIoConnections = new GaugeClass({ name: 'switchyard_socketio_connections', help: 'Open Socket.IO connections', labelNames: ['service'], registers: [this.registry] });
    this.slowConsumers = new CounterClass({ name: 'switchyard_slow_consumers_total', help: 'Sockets closed for not reading (SLOW_CONSUMER)', labelNames: ['service', 'transport'], registers: [this.registry] });
    this.shadowComparisons = new CounterClass({ name: 'switchyard_shadow_comparisons_total', help: 'Shadow-mode frame comparisons', labelNames: ['service', 'result'], registers: [this.registry] });
    this.stageChanges = new CounterClass({ name: 'switchyard_stage_changes_total', help: 'Effective stage changes', labelNames: ['service', 'to'], registers: [this.registry] });
    this.flowRefusals = new CounterClass({ name: 'switchyard_flow_refusals_total', help: 'Messages, requests and connections refused by a flow limit (RATE_LIMITED, TOO_MANY_CONNECTIONS)', labelNames: ['code', 'transport'], registers: [this.registry] });
    new GaugeClass({
      name: 'switchyard_events_published_total', help: 'Room events published', registers: [this.registry],
      collect() {
        this.set(hub.publishedCount);
      },
    });
  }

  /**
   * The exposition text for /metrics. The process collectors
   * (`switchyard_process_*`: CPU, memory, GC, event-loop lag) are registered on
   * the first scrape, so their counters and histograms start there.
   */
  async scrape(): Promise<string> {
    await (this.#processMetrics ??= import('prom-client').then(({ collectDefaultMetrics }) => {
      collectDefaultMetrics({ register: this.registry, prefix: 'switchyard_process_' });
    }));
    return this.registry.metrics();
  }

  nextConnectionId(): number {
    return ++this.#connectionIds;
  }
}
