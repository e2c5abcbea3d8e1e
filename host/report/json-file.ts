// Reading the report's JSON inputs (run records, validate logs): every problem is one line
// that names the file.
import { readFileSync } from "node:fs";
import { UserError } from "../errors.ts";

/** Parses `path` and checks its "format" and "version" fields. */
export function readJsonFile(path: string, format: string, version: number, what: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new UserError(`${path}: ${what} not found`, "E_REPORT");
    throw new UserError(`${path}: cannot read (${code ?? (e as Error).message})`, "E_REPORT");
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${path}: not a ${what} (bad JSON: ${(e as Error).message.split("\n")[0]})`, "E_REPORT");
  }
  const o = value as Record<string, unknown>;
  if (typeof o !== "object" || o === null || o.format !== format) throw new UserError(`${path}: not a ${what} (no "format": "${format}")`, "E_REPORT");
  if (o.version !== version) throw new UserError(`${path}: ${what} version ${String(o.version)} is not supported (this fewmul reads ${version})`, "E_REPORT");
  return o;
}

/** A field check that fails with one line naming the file and the field. */
export function checker(path: string, what: string) {
  const fail = (field: string, expected: string): never => { throw new UserError(`${path}: bad ${what}: "${field}" must be ${expected}`, "E_REPORT"); };
  const isInt = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;
  return {
    fail,
    int(o: Record<string, unknown>, field: string): number {
      if (!isInt(o[field])) fail(field, "an integer >= 0");
      return o[field] as number;
    },
    string(o: Record<string, unknown>, field: string): string {
      if (typeof o[field] !== "string") fail(field, "a string");
      return o[field] as string;
    },
    /** An array of numbers (or null where `nulls`), of `length` if given. */
    numbers(o: Record<string, unknown>, field: string, length?: number, nulls = true): (number | null)[] {
      const a = o[field];
      if (!Array.isArray(a) || (length !== undefined && a.length !== length) || !a.every((v) => (nulls && v === null) || (typeof v === "number" && Number.isFinite(v)))) {
        fail(field, `an array of ${length ?? "some"} numbers${nulls ? " or nulls" : ""}`);
      }
      return a as (number | null)[];
    },
  };
}
