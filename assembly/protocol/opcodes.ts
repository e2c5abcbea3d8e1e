// Command bytes of the wire protocol (docs/protocol.md). A reply echoes cmd | REPLY_BIT.
export const CMD_HELLO: u8 = 0x01;
export const CMD_INIT: u8 = 0x02;
export const CMD_BATCH_DATA: u8 = 0x03;
export const CMD_TRAIN: u8 = 0x04;
export const CMD_EVAL: u8 = 0x05;
export const CMD_STATE_READ: u8 = 0x06;
export const CMD_STATE_WRITE: u8 = 0x07;
export const CMD_STATE_COMMIT: u8 = 0x08;
export const CMD_CHECKPOINT: u8 = 0x09;
export const CMD_STATS: u8 = 0x0A;
export const CMD_CALIBRATE: u8 = 0x0B;
export const CMD_REBOOT: u8 = 0x0C;

export const REPLY_BIT: u8 = 0x80;
/** NAK frame: seq, 0xFF, reason, crc. Never cached, never answers a parsed request. */
export const CMD_NAK: u8 = 0xFF;
