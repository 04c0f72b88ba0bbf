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
  'upgrade-target-not-a-path': 'a WebSocket upgrade whose target starts with `//` (e.g. `//`, `//[`, `//a:99999/x`) makes `new URL` throw inside the upgrade listener: the process dies',
  'upgrade-bad-percent-escape': 'a WebSocket upgrade to a legacy path whose parameter holds a bad percent-escape (e.g. `/api/crawl-progress/%E0%A4`) makes decodeURIComponent throw inside the upgrade listener: the process dies',
  'admin-path-case-bypass': 'admin paths in another letter case (e.g. `/Api/ADMIN/stages`) reach the admin routes without the token check',
  'socketio-prototype-event-no-ack': 'a Socket.IO event named like an Object.prototype member (`toString`, `constructor`, `hasOwnProperty`, ...) with an ack gets no answer',
  'rest-405-not-json': 'a known route called with another method answers 405 with a text/plain body instead of `{error:{code:"METHOD_NOT_ALLOWED"}}`',
  // Found by this suite, not yet assigned: OPTIONS on an admin path is answered 200 (with an Allow header) without the token.
  'admin-options-answered': 'OPTIONS on an admin path (e.g. `OPTIONS /api/admin/stages`) answers 200 with the Allow list without the token; every other admin answer without a token is 401',
  'rest-non-json-body-accepted': 'a body sent as text/plain (or another non-JSON type) is accepted as an empty body instead of 415 UNSUPPORTED_MEDIA_TYPE',
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
