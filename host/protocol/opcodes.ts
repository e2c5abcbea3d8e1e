// Command bytes and frame constants of fewmul wire protocol v2 (docs/protocol.md), named for
// the host; the values are assembly/shared/frame.ts, which the device compiles too.
import * as F from "../../assembly/shared/frame.ts";

export { PROTOCOL_VERSION, REPLY_BIT } from "../../assembly/shared/frame.ts";
export { SPEC_BYTES } from "../../assembly/shared/spec.ts";

export const Cmd = {
  HELLO: F.CMD_HELLO,
  INIT: F.CMD_INIT,
  BATCH_DATA: F.CMD_BATCH_DATA,
  TRAIN: F.CMD_TRAIN,
  EVAL: F.CMD_EVAL,
  STATE_READ: F.CMD_STATE_READ,
  STATE_WRITE: F.CMD_STATE_WRITE,
  STATE_COMMIT: F.CMD_STATE_COMMIT,
  CHECKPOINT: F.CMD_CHECKPOINT,
  STATS: F.CMD_STATS,
  CALIBRATE: F.CMD_CALIBRATE,
  REBOOT: F.CMD_REBOOT,
} as const;

export const NAK = F.CMD_NAK;

/** Why the device refused a damaged frame (NAK reason byte). */
export const NakReason = { CRC: F.NAK_CRC, TOO_LONG: F.NAK_TOO_LONG, COBS: F.NAK_COBS, SHORT: F.NAK_SHORT } as const;

/** Request: seq u16, cmd u8 + CRC u32. Reply: seq u16, cmd u8, status i8 + CRC u32. */
export const REQUEST_OVERHEAD = F.MIN_FRAME;
export const REPLY_OVERHEAD = F.REPLY_MIN_FRAME;
/** Request body lengths (fixed) and headers (before the bytes of the data commands). */
export {
  BATCH_DATA_HEADER, CALIBRATE_BODY, EVAL_BODY, HELLO_BODY, INIT_SEED_BYTES, REBOOT_BODY, REBOOT_USB_BOOT, STATE_COMMIT_BODY,
  STATE_READ_BODY, STATE_READ_REPLY_HEADER, STATE_WRITE_HEADER, TRAIN_BODY,
} from "../../assembly/shared/frame.ts";
