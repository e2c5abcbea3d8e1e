// Files the user names: input read with a one-line error that names the file; output written
// whole or not at all (a temp file in the same folder, then rename).
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { UserError } from "./errors.ts";

/** The bytes of `path`; a missing, unreadable or directory path is a UserError `code` naming it. */
export function readUserFile(path: string, code: string, notFound = "file not found"): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    const errno = (e as NodeJS.ErrnoException).code;
    const why = errno === "ENOENT" ? notFound : errno === "EISDIR" ? "is a directory, not a file" : `cannot read (${errno ?? (e as Error).message})`;
    throw new UserError(`${path}: ${why}`, code);
  }
}

export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
