import type { ServicePlan } from './plan-schema.js';

/**
 * The room a join refers to, from the plan's room template (`crawl_{progress_id}`)
 * and the join payload or legacy URL parameters. Undefined when a placeholder
 * has no value (the join will fail validation anyway).
 */
export function roomName(plan: ServicePlan, values: Readonly<Record<string, unknown>>): string | undefined {
  let missing = false;
  const room = plan.socketio.room.replace(/\{([A-Za-z0-9_]+)\}/g, (_m, name: string) => {
    const value = values[name];
    if (typeof value !== 'string' || value === '') {
      missing = true;
      return '';
    }
    return value;
  });
  return missing ? undefined : room;
}
