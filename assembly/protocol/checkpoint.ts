// Checkpoint in flash: a 72-byte header, then the model's state blob.
//   0 "FMCP"  4 u16 format 1  6 u16 header length  8 u32 lastBatchId  12 u32 state length
//  16 u32 CRC-32 of the state blob  20 spec (48 bytes)  68 u32 CRC-32 of bytes 0..67
// The blob is written before the header, so a write torn by a power cut leaves a header
// whose blob CRC fails (or the old header, whose blob CRC fails too): never a torn restore.
import { OK } from "../errors";
import {
  specPtr, initModel, isReady, statePtr, stateLen, stateCommit, stateDigest,
} from "./model-api";
import { crc32 } from "./crc32";
import { flash_read, flash_size, flash_write } from "./flash";
import { E_CHECKPOINT, E_DIRTY, E_FLASH, E_FLASH_SIZE } from "./status";
import { dirty, forgetModel, lastBatchId, setDirty, setLastBatchId } from "./state";
import { E_NOT_READY } from "../errors";
import { SPEC_BYTES } from "../shared/spec";
import { copyBytes } from "../bytes";

const MAGIC: u32 = 0x50434D46; // "FMCP" little-endian
const FORMAT: u16 = 1;
const HEADER_LEN: i32 = 72;
const HDR: usize = memory.data(HEADER_LEN, 4);

/** Writes the live state to flash; returns bytes written or <0. */
export function checkpointSave(): i32 {
  if (!isReady()) return E_NOT_READY;
  if (dirty) return E_DIRTY;
  let len = <i32>stateLen();
  if (len < 0 || flash_size() - HEADER_LEN < len) return E_FLASH_SIZE;
  let state = statePtr();
  stateDigest(); // seals the blob: its own header CRC must be valid for stateCommit at restore
  store<u32>(HDR, MAGIC);
  store<u16>(HDR, FORMAT, 4);
  store<u16>(HDR, <u16>HEADER_LEN, 6);
  store<u32>(HDR, lastBatchId, 8);
  store<u32>(HDR, <u32>len, 12);
  store<u32>(HDR, crc32(state, len), 16);
  copyBytes(HDR + 20, specPtr(), SPEC_BYTES);
  store<u32>(HDR, crc32(HDR, HEADER_LEN - 4), HEADER_LEN - 4);
  if (flash_write(HEADER_LEN, <i32>state, len) < 0) return E_FLASH;
  if (flash_write(0, <i32>HDR, HEADER_LEN) < 0) return E_FLASH;
  return HEADER_LEN + len;
}

/** Restores the checkpoint at boot: 0 none (fresh device), 1 restored, <0 refused. */
// @ts-ignore: decorator (inlined into its one caller: fewer module bytes)
@inline export function checkpointRestore(): i32 {
  if (flash_size() < HEADER_LEN) return 0;
  if (flash_read(0, <i32>HDR, HEADER_LEN) < 0) return E_FLASH;
  if (load<u32>(HDR) != MAGIC) return 0; // erased or never written
  if (load<u16>(HDR, 4) != FORMAT || load<u16>(HDR, 6) != <u16>HEADER_LEN) return E_CHECKPOINT;
  if (crc32(HDR, HEADER_LEN - 4) != load<u32>(HDR, HEADER_LEN - 4)) return E_CHECKPOINT;
  let len = load<u32>(HDR, 12);
  if (len > <u32>(flash_size() - HEADER_LEN)) return E_CHECKPOINT;
  copyBytes(specPtr(), HDR + 20, SPEC_BYTES);
  let r = restoreBlob(len);
  if (r != OK) { forgetModel(); return r; } // nothing half-restored remains: no model at all
  setDirty(false);
  setLastBatchId(load<u32>(HDR, 8));
  return 1;
}

/** Reads and adopts the blob after the header in HDR; OK or why not. */
function restoreBlob(len: u32): i32 {
  let r = initModel(0, 0);
  if (r < 0) return r;
  if (stateLen() != len) return E_CHECKPOINT;
  if (flash_read(HEADER_LEN, <i32>statePtr(), <i32>len) < 0) return E_FLASH;
  if (crc32(statePtr(), <i32>len) != load<u32>(HDR, 16)) return E_CHECKPOINT;
  return stateCommit();
}
