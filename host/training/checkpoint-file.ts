// The host's copy of a checkpoint: the device's state blob plus the last batch id it holds.
//   0 "FMHC" | 4 u16 version 1 | 6 u16 0 | 8 u32 last batch id | 12 state blob
import { existsSync, readFileSync } from "node:fs";
import { UserError } from "../errors.ts";
import { writeFileAtomic } from "../files.ts";
import { STATE_HEADER_BYTES } from "../../assembly/shared/state.ts";

const MAGIC = 0x43484d46; // "FMHC"

export interface HostCheckpoint { lastBatchId: number; state: Uint8Array }

export function saveCheckpoint(path: string, c: HostCheckpoint): void {
  const out = new Uint8Array(12 + c.state.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, MAGIC, true);
  v.setUint16(4, 1, true);
  v.setUint32(8, c.lastBatchId, true);
  out.set(c.state, 12);
  writeFileAtomic(path, out);
}

export function loadCheckpoint(path: string): HostCheckpoint | undefined {
  if (!existsSync(path)) return undefined;
  const bytes = readFileSync(path);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  if (bytes.length < 12 + STATE_HEADER_BYTES || v.getUint32(0, true) !== MAGIC) throw new UserError(`${path}: not a fewmul checkpoint`, "E_CHECKPOINT");
  if (v.getUint16(4, true) !== 1) throw new UserError(`${path}: checkpoint version ${v.getUint16(4, true)} is not supported`, "E_CHECKPOINT");
  return { lastBatchId: v.getUint32(8, true), state: new Uint8Array(bytes.subarray(12)) };
}
