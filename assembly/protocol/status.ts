// Protocol status codes (the list is assembly/shared/status.ts; model codes are in ../errors.ts)
// and NAK reasons (assembly/shared/frame.ts).
export {
  E_PROTO_VERSION, E_NOSYNC, E_CMD, E_LEN, E_RANGE, E_STALE, E_BATCH_CRC, E_DIRTY, E_FLASH,
  E_FLASH_SIZE, E_CHECKPOINT, E_BUSY, E_WAIT,
} from "../shared/status";
import * as F from "../shared/frame";

export const NAK_CRC: u8 = <u8>F.NAK_CRC;
export const NAK_TOO_LONG: u8 = <u8>F.NAK_TOO_LONG;
export const NAK_COBS: u8 = <u8>F.NAK_COBS;
export const NAK_SHORT: u8 = <u8>F.NAK_SHORT;
