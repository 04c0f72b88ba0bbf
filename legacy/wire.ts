/**
 * The legacy serialiser. Starlette 0.45.3 `send_json` is
 * `json.dumps(data, separators=(",", ":"), ensure_ascii=False)`: compact, raw
 * UTF-8, keys in insertion order — which is exactly `JSON.stringify` on an
 * object built in the legacy key order. One known difference: Python prints a
 * float with a zero fraction as `1.0`; JavaScript has no such numbers, so
 * producers that need it must send integers.
 */
export function encodeFrame(frame: unknown): string {
  return JSON.stringify(frame);
}
