// Status codes of the device module's exports and of protocol replies (docs/protocol.md,
// "Status codes"). Negative = error. The one list: plain TypeScript that AssemblyScript also
// compiles, imported by the device (assembly/errors.ts, assembly/protocol/status.ts) and by the
// host (host/module/status.ts keeps a message for each; test/module/shared-tables.test.ts checks).
export const OK = 0;

// Model codes, -1..-31.
export const E_SPEC = -1;          // spec malformed or out of range
export const E_NOMEM = -2;         // linear memory cannot grow to what the spec needs
export const E_STATE_MAGIC = -3;   // state blob does not start with "FMUL"
export const E_STATE_VERSION = -4; // state blob written by another format version
export const E_STATE_SIZE = -5;    // state blob length does not match its spec
export const E_STATE_CRC = -6;     // state blob checksum mismatch
export const E_NOT_READY = -7;     // no model initialised yet
export const E_BATCH = -8;         // batch size or label out of range

// Protocol codes, from -32.
export const E_PROTO_VERSION = -32; // HELLO with a protocol version this device does not speak
export const E_NOSYNC = -33;        // device booted since the last HELLO: say HELLO, then resume
export const E_CMD = -34;           // unknown command byte
export const E_LEN = -35;           // body length wrong for the command
export const E_RANGE = -36;         // offset/length outside the addressed area
export const E_STALE = -37;         // duplicate request whose cached reply was already evicted
export const E_BATCH_CRC = -38;     // uploaded batch data does not match TRAIN/EVAL's CRC
export const E_DIRTY = -39;         // state partly overwritten (or restore failed): STATE_COMMIT or INIT first
export const E_FLASH = -40;         // flash_read/flash_write reported an error
export const E_FLASH_SIZE = -41;    // checkpoint larger than the board's flash
export const E_CHECKPOINT = -42;    // checkpoint in flash damaged (header/blob CRC) or not fitting its model
// Answers that leave a request not done (protocol v2): the host sends it again later.
export const E_BUSY = -43;          // batch data of a newer upload while the buffer's batch has not run yet
export const E_WAIT = -44;          // a command ahead of an earlier frame that has not arrived (yet)
