// Tiny flag reader shared by the benches: --json, --quick and --name=value.
export const json = process.argv.includes("--json");
export const quick = process.argv.includes("--quick");

/** Human lines go to stderr when --json owns stdout. */
export function say(line: string): void {
  (json ? process.stderr : process.stdout).write(`${line}\n`);
}
