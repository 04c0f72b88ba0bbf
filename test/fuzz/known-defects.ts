/**
 * Defects the fuzz suite finds in the current code, each fixed elsewhere.
 * While a defect is listed here:
 * - the main fuzz runs leave out the inputs that show it (so they stay green
 *   and keep guarding everything else), and
 * - its own test draws only such inputs and is `it.fails` (the defect reproduces).
 * Once the fix is merged, delete its line: the main runs take those inputs
 * again and its test becomes a plain `it` that must pass.
 */
import { it } from 'vitest';

export const KNOWN_DEFECTS = {
} as const;

export type KnownDefect = keyof typeof KNOWN_DEFECTS;

export function isOpen(defect: string): boolean {
  return Object.hasOwn(KNOWN_DEFECTS, defect);
}

/** `it.fails` while the defect is listed, `it` once it is not. */
export function defectTest(defect: KnownDefect | string): typeof it | typeof it.fails {
  return isOpen(defect) ? it.fails : it;
}

/** The test's title: the defect and what it shows. */
export function defectTitle(defect: KnownDefect | string): string {
  const what = (KNOWN_DEFECTS as Record<string, string>)[defect];
  return what ? `known defect ${defect} (it.fails until fixed): ${what}` : `formerly known defect ${defect} stays fixed`;
}
