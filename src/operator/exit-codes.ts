/**
 * The operator commands' exit statuses, one meaning each, so CI and
 * change-management scripts can gate on them.
 */
export const EXIT = {
  /** Done; for `drill`: nothing lost, duplicated or reordered, every client switched. */
  OK: 0,
  /** `drill` ran and found a problem (loss, duplicate, reorder, unswitched client, chat send not stored once, errors). */
  FAILED: 1,
  /** Bad arguments (commander's own usage errors exit 1 or 2; ours say 2). */
  USAGE: 2,
  /** Could not run: server unreachable, token missing or refused, real clients connected without `--yes`, Unleash not configured. */
  COULD_NOT_RUN: 3,
  /** `drill` stopped before the end (timeout or Ctrl-C); stages restored, partial report written. */
  INCOMPLETE: 4,
} as const;

/** An error that ends a command with a given exit status and a message for the operator. */
export class CliExit extends Error {
  constructor(readonly exitCode: number, message: string) {
    super(message);
  }
}
