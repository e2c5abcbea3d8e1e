// Protocol status codes, the continuation of assembly/errors.ts (model codes are -1..-31).
// host/protocol/status.ts maps each to a message. Keep the two lists in step.
export const E_PROTO_VERSION: i32 = -32; // HELLO with a protocol version this device does not speak
export const E_NOSYNC: i32 = -33;        // device booted since the last HELLO: say HELLO, then resume
export const E_CMD: i32 = -34;           // unknown command byte
export const E_LEN: i32 = -35;           // body length wrong for the command
export const E_RANGE: i32 = -36;         // offset/length outside the addressed area
export const E_STALE: i32 = -37;         // duplicate request whose cached reply was already evicted
export const E_BATCH_CRC: i32 = -38;     // uploaded batch data does not match TRAIN/EVAL's CRC
export const E_DIRTY: i32 = -39;         // state partly overwritten (or restore failed): STATE_COMMIT or INIT first
export const E_FLASH: i32 = -40;         // flash_read/flash_write reported an error
export const E_FLASH_SIZE: i32 = -41;    // checkpoint larger than the board's flash
export const E_CHECKPOINT: i32 = -42;    // checkpoint in flash damaged (header/blob CRC) or not fitting its model
// Answers that leave a request not done (protocol v2): the host sends it again later.
export const E_BUSY: i32 = -43;          // batch data of a newer upload while the buffer's batch has not run yet
export const E_WAIT: i32 = -44;          // a command ahead of an earlier frame that has not arrived (yet)

// NAK reasons: a NAK names the seq it could read from a damaged frame (which may be wrong).
export const NAK_CRC: u8 = 1;      // checksum mismatch
export const NAK_TOO_LONG: u8 = 2; // frame exceeds FRAME_MAX
export const NAK_COBS: u8 = 3;     // malformed byte stuffing (a byte lost or a delimiter forged)
export const NAK_SHORT: u8 = 4;    // shorter than seq + cmd + crc
