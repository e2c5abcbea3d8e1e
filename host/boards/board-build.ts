// What `fewmul build` and `fewmul flash` make for a board: the module (compiled if stale) and,
// for wasm2c boards, the firmware image in build/<board>/ (rebuilt when anything it is made
// of is newer than it, or on request).
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { UserError } from "../errors.ts";
import { buildFirmware, FIRMWARE_DIR, type FirmwareBuild } from "./firmware-build.ts";
import { BOARDS_DIR, type BoardManifest } from "./manifest.ts";
import { ensureModule, ROOT, type ModuleBuild } from "./module-build.ts";

export interface BoardBuild {
  board: string;
  module: ModuleBuild;
  /** wasm2c boards only */
  firmware?: FirmwareBuild;
  /** false when build/<board>/fw.elf was up to date and reused */
  firmwareBuilt?: boolean;
}

export const boardBuildDir = (id: string) => join(ROOT, "build", id);

/** Newest mtime of the inputs of a firmware image other than the module. */
function newestFirmwareInput(board: BoardManifest): number {
  const files = [
    ...readdirSync(FIRMWARE_DIR).map((f) => join(FIRMWARE_DIR, f)),
    join(BOARDS_DIR, `${board.id}.json`),
    fileURLToPath(new URL("./firmware-build.ts", import.meta.url)),
  ];
  return Math.max(...files.filter((f) => existsSync(f)).map((f) => statSync(f).mtimeMs));
}

export interface BoardBuildOptions {
  /** Recompile the module and rebuild the firmware even if they are up to date. */
  force?: boolean;
  /** Rebuild the firmware even if it is up to date (the module only if stale). */
  firmware?: boolean;
}

/**
 * Compiles the module if needed, then the firmware for a wasm2c board into build/<board>/:
 * with `force` or `firmware`, else only when fw.elf is missing or older than the module, a
 * firmware source, the manifest or the build script. Node and WAMR boards get the module only.
 */
export async function buildBoard(board: BoardManifest, options: BoardBuildOptions = {}): Promise<BoardBuild> {
  if (board.runtime === "node" || board.runtime === "wamr") { // a wamr board's firmware is the user's ESP-IDF/Zephyr build
    return { board: board.id, module: await ensureModule("release", options.force) };
  }
  if (board.runtime !== "wasm2c") {
    throw new UserError(`board ${board.id}: runtime "${board.runtime}" has no firmware build yet (boards/firmware/README.md)`, "E_BOARD");
  }
  const module = await ensureModule("release", options.force);
  const dir = boardBuildDir(board.id);
  const stamp = join(dir, "build.json");
  const elf = join(dir, "fw.elf");
  if (!options.force && !options.firmware && !module.compiled && existsSync(elf) && existsSync(stamp)) {
    const built = statSync(elf).mtimeMs;
    if (built >= statSync(module.path).mtimeMs && built >= newestFirmwareInput(board)) {
      try {
        const firmware = JSON.parse(readFileSync(stamp, "utf8")) as FirmwareBuild;
        if (firmware.elf === elf) return { board: board.id, module, firmware, firmwareBuilt: false };
      } catch { /* rebuild */ }
    }
  }
  const firmware = await buildFirmware(board, module.path, dir);
  writeFileSync(stamp, `${JSON.stringify(firmware, null, 2)}\n`);
  return { board: board.id, module, firmware, firmwareBuilt: true };
}
