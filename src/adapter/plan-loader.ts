import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVICE_IDS, type HostedId } from '../registry/contracts.js';
import { planSchema, type ServicePlan } from './plan-schema.js';

/**
 * Where the plans ship: `migrations-plan/` at the package root, two levels
 * above this file in the sources (src/adapter/) and three in the build
 * (dist/src/adapter/). The build holds its own copy, for the SDK's bundled
 * plans, but the server reads the package's, so an edited plan applies on
 * restart without a rebuild.
 */
export const DEFAULT_PLAN_DIR = resolve(packageRoot(), 'migrations-plan');

function packageRoot(): string {
  const sources = fileURLToPath(new URL('../..', import.meta.url));
  return existsSync(join(sources, 'package.json')) ? sources : fileURLToPath(new URL('../../..', import.meta.url));
}

/** A plan file that cannot be used. The message names the file and the field. */
export class PlanError extends Error {
  constructor(readonly file: string, readonly field: string, detail: string) {
    super(`${file}: ${field}: ${detail}`);
    this.name = 'PlanError';
  }
}

/** Parse and validate one plan document (already read); throws PlanError. */
export function parsePlan(file: string, text: string, expected?: HostedId): ServicePlan {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new PlanError(file, '(file)', `not valid JSON: ${(error as Error).message}`);
  }
  return validatePlan(file, raw, expected);
}

/** Validate one plan document (already parsed, e.g. a contract's bundled JSON); throws PlanError. */
export function validatePlan(file: string, raw: unknown, expected?: HostedId): ServicePlan {
  const result = planSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new PlanError(file, issue.path.join('.') || '(root)', issue.message);
  }
  const plan = result.data;
  if (expected && plan.service !== expected) {
    throw new PlanError(file, 'service', `expected "${expected}", found "${plan.service}"`);
  }
  for (const name of pathParams(plan.legacy.path)) {
    if (!plan.socketio.room.includes(`{${name}}`) && !JSON.stringify(plan.socketio.join.payload).includes(`$params.${name}`)) {
      throw new PlanError(file, 'legacy.path', `path parameter "${name}" is used by neither socketio.room nor socketio.join.payload`);
    }
  }
  return plan;
}

/** The `:name` parameters of a legacy path, in order. */
export function pathParams(path: string): string[] {
  return [...path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!);
}

/**
 * Load the plans of `services` from `dir` (`<service-id>.json`; default the
 * registry's seven), then the `extra` ones, which a hosted extra service
 * brings as a value (its contract's plan, wherever its file lives); throws
 * PlanError on the first bad one. Extra plans come last, in the order given.
 */
export async function loadPlans(
  dir: string = DEFAULT_PLAN_DIR,
  services: readonly HostedId[] = SERVICE_IDS,
  extra: ReadonlyArray<{ id: HostedId; plan: unknown }> = [],
): Promise<Map<HostedId, ServicePlan>> {
  const plans = new Map<HostedId, ServicePlan>();
  for (const id of services) {
    const file = join(dir, `${id}.json`);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new PlanError(file, '(file)', `cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
    plans.set(id, parsePlan(file, text, id));
  }
  for (const { id, plan } of extra) {
    if (plans.has(id)) throw new PlanError(`${id} (extra service)`, 'service', `"${id}" is already hosted`);
    plans.set(id, validatePlan(`${id} (extra service)`, plan, id));
  }
  return plans;
}
