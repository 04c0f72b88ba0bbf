import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { RoomHub } from '../domain/room-hub.js';

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
  #processMetrics = false;

  constructor(hub: RoomHub) {
    this.legacyConnections = new Gauge({ name: 'switchyard_legacy_connections', help: 'Open legacy WebSocket connections', labelNames: ['service'], registers: [this.registry] });
    this.socketIoConnections = new Gauge({ name: 'switchyard_socketio_connections', help: 'Open Socket.IO connections', labelNames: ['service'], registers: [this.registry] });
    this.slowConsumers = new Counter({ name: 'switchyard_slow_consumers_total', help: 'Sockets closed for not reading (SLOW_CONSUMER)', labelNames: ['service', 'transport'], registers: [this.registry] });
    this.shadowComparisons = new Counter({ name: 'switchyard_shadow_comparisons_total', help: 'Shadow-mode frame comparisons', labelNames: ['service', 'result'], registers: [this.registry] });
    this.stageChanges = new Counter({ name: 'switchyard_stage_changes_total', help: 'Effective stage changes', labelNames: ['service', 'to'], registers: [this.registry] });
    this.flowRefusals = new Counter({ name: 'switchyard_flow_refusals_total', help: 'Messages, requests and connections refused by a flow limit (RATE_LIMITED, TOO_MANY_CONNECTIONS)', labelNames: ['code', 'transport'], registers: [this.registry] });
    new Gauge({
      name: 'switchyard_events_published_total', help: 'Room events published', registers: [this.registry],
      collect() {
        this.set(hub.publishedCount);
      },
    });
  }

  /**
   * The exposition text for /metrics. The process collectors
   * (`switchyard_process_*`: CPU, memory, GC, event-loop lag) are registered on
   * the first scrape, so their counters and histograms start there: a server
   * nobody scrapes runs no event-loop monitor and no GC observer.
   */
  async scrape(): Promise<string> {
    if (!this.#processMetrics) {
      collectDefaultMetrics({ register: this.registry, prefix: 'switchyard_process_' });
      this.#processMetrics = true;
    }
    return this.registry.metrics();
  }

  nextConnectionId(): number {
    return ++this.#connectionIds;
  }
}
