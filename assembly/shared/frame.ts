// Wire-protocol constants (docs/protocol.md): frame layout, command bytes and NAK reasons, the
// one list the device (assembly/protocol/) and the host (host/protocol/) use. Plain TypeScript
// that AssemblyScript also compiles.
export const PROTOCOL_VERSION = 2;

/** Decoded frame: seq u16 LE, cmd u8, body, CRC-32 LE over everything before it. */
export const HEADER_LEN = 3;
export const CRC_LEN = 4;
export const MIN_FRAME = HEADER_LEN + CRC_LEN;
/** Reply: seq u16, cmd | REPLY_BIT, status i8, body, crc. */
export const REPLY_HEADER_LEN = 4;
export const REPLY_MIN_FRAME = REPLY_HEADER_LEN + CRC_LEN;

export const CMD_HELLO = 0x01;
export const CMD_INIT = 0x02;
export const CMD_BATCH_DATA = 0x03;
export const CMD_TRAIN = 0x04;
export const CMD_EVAL = 0x05;
export const CMD_STATE_READ = 0x06;
export const CMD_STATE_WRITE = 0x07;
export const CMD_STATE_COMMIT = 0x08;
export const CMD_CHECKPOINT = 0x09;
export const CMD_STATS = 0x0A;
export const CMD_CALIBRATE = 0x0B;
export const CMD_REBOOT = 0x0C;
export const REPLY_BIT = 0x80;
/** NAK frame: seq, 0xFF, reason, crc. Never cached, never answers a parsed request. */
export const CMD_NAK = 0xFF;

// NAK reasons: a NAK names the seq it could read from a damaged frame (which may be wrong).
export const NAK_CRC = 1;      // checksum mismatch
export const NAK_TOO_LONG = 2; // frame exceeds the device's frame limit
export const NAK_COBS = 3;     // malformed byte stuffing (a byte lost or a delimiter forged)
export const NAK_SHORT = 4;    // shorter than seq + cmd + crc

// Request bodies (docs/protocol.md, "Commands"): the fixed lengths, and the header before the
// bytes of the data commands. A body of another length is refused with E_LEN.
export const HELLO_BODY = 2;          // version u16
export const INIT_SEED_BYTES = 8;     // after the spec: seedLo u32, seedHi u32
export const BATCH_DATA_HEADER = 8;   // upload u32, offset u32, then the bytes
export const TRAIN_BODY = 14;         // batchId u32, upload u32, n u16, dataCrc u32
export const EVAL_BODY = 10;          // upload u32, n u16, dataCrc u32
export const STATE_READ_BODY = 6;     // offset u32, len u16
export const STATE_WRITE_HEADER = 4;  // offset u32, then the bytes
export const STATE_COMMIT_BODY = 8;   // lastBatchId u32, digest u32
export const CALIBRATE_BODY = 11;     // upload u32, n u16, fresh u8, dataCrc u32
export const REBOOT_BODY = 1;         // mode u8
/** REBOOT's only mode: into the board's USB boot loader (the RP2040's BOOTSEL). */
export const REBOOT_USB_BOOT = 1;
/** STATE_READ's reply: offset u32, then the bytes. */
export const STATE_READ_REPLY_HEADER = 4;
