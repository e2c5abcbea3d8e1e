// Finds the USB drive a board's UF2 boot loader shows (the RP2040 in BOOTSEL mode: a FAT volume
// named RPI-RP2 whose INFO_UF2.TXT says "Board-ID: RPI-RP2") and copies an image onto it.
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";

const INFO = "INFO_UF2.TXT";

/** Where removable drives get mounted: Linux desktops (udisks), macOS, Windows drive letters. */
export function mountRoots(platform: NodeJS.Platform = process.platform): string[] {
  if (platform === "darwin") return ["/Volumes"];
  if (platform === "win32") return [];
  let user = process.env.USER ?? "";
  try { user ||= userInfo().username; } catch { /* no passwd entry */ }
  return [`/media/${user}`, `/run/media/${user}`, "/media", "/mnt"];
}

/** Candidate drive directories: the roots' subdirectories (Windows: the drive letters). */
function candidates(roots: string[], platform: NodeJS.Platform): string[] {
  if (platform === "win32") return [..."DEFGHIJKLMNOPQRSTUVWXYZ"].map((l) => `${l}:\\`);
  const out: string[] = [];
  for (const root of roots) {
    try {
      for (const e of readdirSync(root, { withFileTypes: true })) if (e.isDirectory()) out.push(join(root, e.name));
    } catch { /* root absent or unreadable */ }
  }
  return out;
}

/** The Board-ID line of `dir`/INFO_UF2.TXT, or undefined when it is no UF2 drive. */
export function uf2BoardId(dir: string): string | undefined {
  try {
    return /^Board-ID:\s*(\S+)/m.exec(readFileSync(join(dir, INFO), "latin1"))?.[1];
  } catch {
    return undefined;
  }
}

/** Mounted UF2 drives whose Board-ID starts with `boardId` (e.g. RPI-RP2). */
export function findUf2Drives(boardId: string, roots = mountRoots(), platform: NodeJS.Platform = process.platform): string[] {
  return candidates(roots, platform).filter((d) => uf2BoardId(d)?.startsWith(boardId));
}

/** True while the drive is still mounted (its INFO_UF2.TXT readable). */
export function driveMounted(dir: string): boolean {
  return existsSync(join(dir, INFO));
}

/** Copies the image as NAME.uf2; the boot loader flashes the blocks as they arrive. */
export function copyToDrive(dir: string, name: string, image: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, image);
  return path;
}
