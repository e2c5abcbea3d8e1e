// `fewmul emulate --board pico`: the firmware image (built if stale, or a given UF2) in the
// rp2040js harness, flash persisted in a file like the in-process emulator's.
import { existsSync, readFileSync } from "node:fs";
import { relative, resolve } from "node:path";
import { UserError } from "../errors.ts";
import { buildBoard } from "../boards/board-build.ts";
import type { BoardManifest } from "../boards/manifest.ts";
import { PicoEmulator } from "./pico.ts";

export interface PicoStart { device: PicoEmulator; uf2: string; flashFile: string }

export async function startPico(board: BoardManifest, o: { flashFile?: string; uf2?: string; bootselDrive?: string } = {}): Promise<PicoStart> {
  let uf2 = o.uf2;
  if (uf2 === undefined) {
    const built = await buildBoard(board);
    uf2 = built.firmware!.uf2!;
  } else if (!existsSync(uf2)) {
    throw new UserError(`--uf2 ${uf2}: no such file`, "E_USAGE");
  }
  const flashFile = resolve(o.flashFile ?? `.fewmul/${board.id}.flash`);
  let device: PicoEmulator;
  try {
    device = new PicoEmulator({ uf2: readFileSync(uf2), flashBytes: board.flash, flashFile, bootselDrive: o.bootselDrive });
  } catch (e: any) {
    throw new UserError(`${uf2}: ${e?.message ?? e}`, "E_USAGE");
  }
  if (device.bootselReason && !o.bootselDrive) {
    await device.close();
    throw new UserError(`emulated ${board.id} did not boot ${uf2}: ${device.bootselReason}`, "E_FAULT");
  }
  if (device.faults.length) throw new UserError(`emulated ${board.id} did not boot: ${device.faults[0]}`, "E_FAULT");
  return { device, uf2: relative(process.cwd(), uf2) || uf2, flashFile };
}
