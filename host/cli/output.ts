// Human output goes to stderr (progress, logs); stdout carries only results, so that
// `--json` prints exactly one JSON object there. NO_COLOR and non-TTY mean no colour.
import { inspect } from "node:util";

const colour = !process.env.NO_COLOR && process.stderr.isTTY;
const paint = (code: string, s: string) => (colour ? `\x1b[${code}m${s}\x1b[0m` : s);

export const logger = {
  info(message: string) { process.stderr.write(`${message}\n`); },
  warn(message: string) { process.stderr.write(`${paint("33", "warning:")} ${message}\n`); },
  error(message: string) { process.stderr.write(`${paint("31", "error:")} ${message}\n`); },
};

/** Prints a command's result: one JSON object with --json, else aligned key: value lines. */
export function printResult(result: Record<string, unknown>, json: boolean): void {
  if (json) { process.stdout.write(`${JSON.stringify(result)}\n`); return; }
  const width = Math.max(...Object.keys(result).map((k) => k.length));
  for (const [k, v] of Object.entries(result)) {
    process.stdout.write(`${k.padEnd(width)}  ${typeof v === "string" ? v : inspect(v, { colors: colour, breakLength: Infinity })}\n`);
  }
}

/** Prints rows as columns separated by two spaces, each as wide as its widest cell. */
export function printTable(rows: string[][]): void {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => { widths[i] = Math.max(widths[i] ?? 0, cell.length); });
  for (const row of rows) process.stdout.write(`${row.map((cell, i) => (i < row.length - 1 ? cell.padEnd(widths[i]) : cell)).join("  ")}\n`);
}

export { colour };
