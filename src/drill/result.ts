/** The shape of a drill's result: what the JSON report holds and the markdown and charts are drawn from. */
import type { DeliveryCounts, Spread } from './analysis.js';

export interface StepResult {
  service: string;
  round: number;
  action: 'cutover' | 'rollback';
  from: string;
  to: string;
  /** ms since the drill started, when the change was requested. */
  atMs: number;
  /** How long the stage change request itself took (admin API, or Unleash + refresh). */
  requestMs: number;
  /** SDK clients: time from the change request to the client serving on the new transport. */
  sdkSwitch: Spread & { clients: number; switched: number };
  /** The drill stopped (Ctrl-C, timeout) while waiting on this step: clients not yet switched are not counted as failures. */
  interrupted: boolean;
  /** What the server reported for this switch (`lastSwitch` of `GET /api/admin/stages`): legacy sessions moved in place. */
  server: { durationMs: number; legacySwitched: number; socketIoDisconnected: number } | null;
  /** Events published from this change until the service's next change, and how they arrived. */
  events: DeliveryCounts;
  errors: string[];
}

export interface ChatResult {
  sent: number;
  acknowledged: number;
  /** Acknowledged as already stored (an earlier try got through): still stored once. */
  acknowledgedAsDuplicate: number;
  storedOnce: number;
  storedMoreThanOnce: number;
  notStored: number;
  /** The session's retained history was full, so ids older than it could not be checked. */
  historyFull: boolean;
}

export interface ServiceResult {
  service: string;
  /** Stage before the drill, and the stage each rollback went back to. */
  stageBefore: string;
  overrideBefore: string | null;
  baseStage: string;
  clients: { legacy: number; sdk: number };
  /** Events published before the service's first change (steady state). */
  baseline: DeliveryCounts;
  totals: DeliveryCounts;
  latency: Spread;
  chat: ChatResult | null;
  restored: boolean;
  errors: string[];
  /** SDK warnings (e.g. a switch overtaken by the next change): reported, not failures. */
  warnings: string[];
}

export interface DrillResult {
  tool: 'switchyard drill';
  version: string;
  url: string;
  via: 'override' | 'unleash';
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  clientsPerService: number;
  rounds: number;
  /** How the unmodified legacy clients' sequence is checked. */
  legacySequenceCheck: string;
  completed: boolean;
  /** Why it did not complete (timeout, interrupted, an error), if it did not. */
  stoppedBy: string | null;
  verdict: 'pass' | 'fail' | 'incomplete';
  exitCode: number;
  totals: DeliveryCounts & { errors: number; unswitchedClients: number };
  sdkSwitch: Spread;
  latency: Spread;
  services: ServiceResult[];
  steps: StepResult[];
  /** Delivery latency over the drill, for the chart: [ms since start, p50, max] per time bucket. */
  latencySeries: Array<[number, number, number]>;
}
