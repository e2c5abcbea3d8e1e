// Command bytes of the wire protocol, typed for the device (the list is assembly/shared/frame.ts).
import * as F from "../shared/frame";

export const CMD_HELLO: u8 = <u8>F.CMD_HELLO;
export const CMD_INIT: u8 = <u8>F.CMD_INIT;
export const CMD_BATCH_DATA: u8 = <u8>F.CMD_BATCH_DATA;
export const CMD_TRAIN: u8 = <u8>F.CMD_TRAIN;
export const CMD_EVAL: u8 = <u8>F.CMD_EVAL;
export const CMD_STATE_READ: u8 = <u8>F.CMD_STATE_READ;
export const CMD_STATE_WRITE: u8 = <u8>F.CMD_STATE_WRITE;
export const CMD_STATE_COMMIT: u8 = <u8>F.CMD_STATE_COMMIT;
export const CMD_CHECKPOINT: u8 = <u8>F.CMD_CHECKPOINT;
export const CMD_STATS: u8 = <u8>F.CMD_STATS;
export const CMD_CALIBRATE: u8 = <u8>F.CMD_CALIBRATE;
export const CMD_REBOOT: u8 = <u8>F.CMD_REBOOT;

export const REPLY_BIT: u8 = <u8>F.REPLY_BIT;
/** NAK frame: seq, 0xFF, reason, crc. Never cached, never answers a parsed request. */
export const CMD_NAK: u8 = <u8>F.CMD_NAK;
