// Command bytes and layout constants of fewmul wire protocol v2 (assembly/protocol/opcodes.ts
// and config.ts are the device's copy; docs/protocol.md is the reference).

export const PROTOCOL_VERSION = 2;

export const Cmd = {
  HELLO: 0x01,
  INIT: 0x02,
  BATCH_DATA: 0x03,
  TRAIN: 0x04,
  EVAL: 0x05,
  STATE_READ: 0x06,
  STATE_WRITE: 0x07,
  STATE_COMMIT: 0x08,
  CHECKPOINT: 0x09,
  STATS: 0x0a,
  CALIBRATE: 0x0b,
} as const;
export type CmdCode = (typeof Cmd)[keyof typeof Cmd];

export const REPLY_BIT = 0x80;
export const NAK = 0xff;

/** Why the device refused a damaged frame (NAK reason byte). */
export const NakReason = { CRC: 1, TOO_LONG: 2, COBS: 3, SHORT: 4 } as const;

/** Request: seq u16, cmd u8 + CRC u32. Reply: seq u16, cmd u8, status i8 + CRC u32. */
export const REQUEST_OVERHEAD = 7;
export const REPLY_OVERHEAD = 8;
export const SPEC_BYTES = 48;
/** BATCH_DATA body before the bytes: upload id u32, offset u32. */
export const BATCH_DATA_HEADER = 8;
