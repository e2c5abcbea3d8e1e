/** Exit code of a usage error: an unknown command or option, or an option value of the wrong form. */
export const EXIT_USAGE = 2;

/**
 * A mistake the user can fix (bad file, unknown board, missing port...).
 * The CLI prints `error: <message>` on one line, no stack, and exits with `exitCode`.
 * Anything that is not a UserError is a bug in fewmul and prints its stack.
 */
export class UserError extends Error {
  constructor(
    message: string,
    /** Stable machine-readable code, e.g. "E_DATASET", "E_BOARD"; "E_USAGE" for the command line itself. */
    readonly code: string = "E_USER",
    /** Process exit code: 2 (EXIT_USAGE) for "E_USAGE", else 1 unless a command documents another. */
    readonly exitCode: number = code === "E_USAGE" ? EXIT_USAGE : 1,
  ) {
    super(message);
    this.name = "UserError";
  }
}
