// Board manifests: boards/<id>.json, schema in boards/schema.md.
import { readFileSync, readdirSync } from "node:fs";
import { basename, join } from "node:path";
import { PACKAGE_ROOT } from "../package-root.ts";
import { UserError } from "../errors.ts";

export const BOARDS_DIR = join(PACKAGE_ROOT, "boards");

export interface BoardManifest {
  id: string;
  name: string;
  vendor: string;
  mcu: string;
  cpu: string;
  /** Bytes available to the module's linear memory (memory.grow fails beyond). */
  ram: number;
  flash: number;
  /** Bytes of checkpoint storage behind env.flash_* (flash_size()). */
  checkpoint_bytes: number;
  baud: number;
  max_frame: number;
  /** How the host link reaches the board: a UART (often behind a USB-UART bridge) or the MCU's own USB CDC-ACM. */
  serial?: "uart" | "usb-cdc";
  /** A model spec the board holds (linear memory and checkpoint) when 784-256-10 does not fit. */
  model?: string;
  runtime: "node" | "wasm2c" | "wamr";
  flasher: string;
  qemu?: { machine: string; cpu: string; extra: string[] };
  /** UF2 boards only: the image's family id (hex string) and the drive's INFO_UF2.TXT Board-ID. */
  uf2?: { family: string; board_id: string };
  /** Documentation: the UART the host link uses and its pins. */
  uart?: { instance: string; tx: string; rx: string };
  url: string;
}

const NUMBERS = ["ram", "flash", "checkpoint_bytes", "baud", "max_frame"] as const;
const STRINGS = ["id", "name", "vendor", "mcu", "cpu", "runtime", "flasher", "url"] as const;

/** Board ids available in boards/. */
export function listBoards(): string[] {
  return readdirSync(BOARDS_DIR).filter((f) => f.endsWith(".json")).map((f) => f.slice(0, -5)).sort();
}

/** Loads boards/<id>.json (or a path to a manifest) and checks it against the schema. */
export function loadBoard(idOrPath: string): BoardManifest {
  const path = idOrPath.endsWith(".json") ? idOrPath : join(BOARDS_DIR, `${idOrPath}.json`);
  let raw: any;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (e: any) {
    if (e?.code === "ENOENT") {
      throw new UserError(`unknown board "${idOrPath}" (known: ${listBoards().join(", ")})`, "E_BOARD");
    }
    throw new UserError(`${path}: ${e?.message ?? e}`, "E_BOARD");
  }
  const bad = (what: string) => new UserError(`${path}: ${what}`, "E_BOARD");
  for (const k of STRINGS) if (typeof raw?.[k] !== "string") throw bad(`"${k}" must be a string`);
  for (const k of NUMBERS) {
    if (!Number.isInteger(raw[k]) || raw[k] <= 0) throw bad(`"${k}" must be a positive integer`);
  }
  if (raw.id !== basename(path, ".json")) throw bad(`"id" must equal the file name`);
  if (!["node", "wasm2c", "wamr"].includes(raw.runtime)) throw bad(`unknown runtime "${raw.runtime}"`);
  if (raw.ram % 65536) throw bad(`"ram" must be a multiple of 65536 (Wasm pages)`);
  if (raw.serial !== undefined && !["uart", "usb-cdc"].includes(raw.serial)) throw bad(`"serial" must be "uart" or "usb-cdc"`);
  if (raw.runtime === "wamr" && raw.serial === undefined) throw bad(`"serial" ("uart" or "usb-cdc") is required for a wamr board`);
  if (raw.model !== undefined && typeof raw.model !== "string") throw bad(`"model" must be a model spec string`);
  if (raw.flasher === "qemu") {
    const q = raw.qemu;
    if (typeof q?.machine !== "string" || typeof q?.cpu !== "string" || !Array.isArray(q?.extra)) {
      throw bad(`"qemu" must be { machine, cpu, extra: [] } when flasher is "qemu"`);
    }
  }
  if (raw.flasher === "uf2") {
    const u = raw.uf2;
    if (!/^0x[0-9a-f]{8}$/i.test(u?.family ?? "") || typeof u?.board_id !== "string") {
      throw bad(`"uf2" must be { family: "0x........", board_id } when flasher is "uf2"`);
    }
  }
  return raw as BoardManifest;
}
