// Compiles the device module with the package's own AssemblyScript compiler when its output
// is missing or older than the sources: `fewmul build`, `fewmul flash` and bench/mcu.ts use it.
import { execFile } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { PACKAGE_ROOT } from "../package-root.ts";
import { UserError } from "../errors.ts";

export const ROOT = PACKAGE_ROOT;

/** asconfig.json targets the boards use: the release module and the float32 comparison. */
export const MODULE_TARGETS = {
  release: { entry: "assembly/index.ts", out: "build/fewmul.wasm" },
  float32: { entry: "assembly/float32/index.ts", out: "build/fewmul-float32.wasm" },
} as const;
export type ModuleTarget = keyof typeof MODULE_TARGETS;

export interface ModuleBuild {
  path: string;
  bytes: number;
  /** false when the existing file was newer than every source and was reused */
  compiled: boolean;
}

/** Newest modification time (ms) of the files under `dir` (recursively), and asconfig.json. */
function newestSource(dir: string): number {
  let newest = statSync(join(ROOT, "asconfig.json")).mtimeMs;
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  walk(dir);
  return newest;
}

/** node_modules/assemblyscript/bin/asc.js of this package. */
function ascPath(): string {
  try {
    const require = createRequire(join(ROOT, "package.json"));
    return join(dirname(require.resolve("assemblyscript/package.json")), "bin", "asc.js");
  } catch {
    throw new UserError("the AssemblyScript compiler is not installed: run npm install", "E_TOOLCHAIN");
  }
}

/**
 * Returns `build/<module>.wasm` for `target`, compiling it first (asc with the asconfig.json
 * target) if it is missing or older than anything in assembly/ or asconfig.json. `force`
 * compiles anyway.
 */
export async function ensureModule(target: ModuleTarget = "release", force = false): Promise<ModuleBuild> {
  const t = MODULE_TARGETS[target];
  const path = join(ROOT, t.out);
  if (!force && existsSync(path) && statSync(path).mtimeMs >= newestSource(join(ROOT, "assembly"))) {
    return { path, bytes: statSync(path).size, compiled: false };
  }
  const asc = ascPath();
  await new Promise<void>((resolve, reject) => {
    execFile(process.execPath, [asc, t.entry, "--config", "asconfig.json", "--target", target], { cwd: ROOT, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (!err) return resolve();
      reject(new UserError(`compiling ${t.entry} (asc --target ${target}) failed:\n${(stderr || stdout || err.message).trim()}`, "E_MODULE"));
    });
  });
  if (!existsSync(path)) throw new UserError(`asc --target ${target} did not write ${t.out}`, "E_MODULE");
  return { path, bytes: statSync(path).size, compiled: true };
}
