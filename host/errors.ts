/**
 * A mistake the user can fix (bad file, unknown board, missing port...).
 * The CLI prints `error: <message>` on one line, no stack, and exits with `exitCode`.
 * Anything that is not a UserError is a bug in fewmul and prints its stack.
 */
export class UserError extends Error {
  constructor(
    message: string,
    /** Stable machine-readable code, e.g. "E_DATASET", "E_BOARD". */
    readonly code: string = "E_USER",
    /** Process exit code; 1 unless a command documents another. */
    readonly exitCode: number = 1,
  ) {
    super(message);
    this.name = "UserError";
  }
}
