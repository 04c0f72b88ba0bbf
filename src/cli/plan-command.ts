import { DEFAULT_PLAN_DIR, loadPlans, PlanError } from '../adapter/plan-loader.js';
import { CliExit, EXIT } from '../operator/exit-codes.js';
import { textTable } from './table.js';

/**
 * `switchyard plan`: the seven services' default stages, phases and
 * priorities, read from the plan files on this machine (no server needed),
 * in rollout order.
 */
export async function planCommand(options: { plans?: string; json?: boolean }, out: (text: string) => void): Promise<void> {
  let plans;
  try {
    plans = await loadPlans(options.plans ?? DEFAULT_PLAN_DIR);
  } catch (error) {
    if (error instanceof PlanError) throw new CliExit(EXIT.COULD_NOT_RUN, error.message);
    throw error;
  }
  const ordered = [...plans.values()].sort((a, b) => a.phase - b.phase);
  if (options.json) {
    out(JSON.stringify(ordered.map((p) => ({ service: p.service, phase: p.phase, priority: p.priority, stage: p.stage, flag: p.flag, legacyPath: p.legacy.path, namespace: p.socketio.namespace })), null, 2) + '\n');
    return;
  }
  out(textTable(['phase', 'service', 'priority', 'stage', 'flag', 'legacy path', 'namespace'],
    ordered.map((p) => [String(p.phase), p.service, p.priority, p.stage, p.flag, p.legacy.path, p.socketio.namespace])));
}
