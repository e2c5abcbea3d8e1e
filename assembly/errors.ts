// Status codes returned by the module's exports. Negative = error; host/module/status.ts
// maps each to a one-line message. Keep the two lists in step.
export const OK: i32 = 0;
export const E_SPEC: i32 = -1;          // spec malformed or out of range
export const E_NOMEM: i32 = -2;         // linear memory cannot grow to what the spec needs
export const E_STATE_MAGIC: i32 = -3;   // state blob does not start with "FMUL"
export const E_STATE_VERSION: i32 = -4; // state blob written by another format version
export const E_STATE_SIZE: i32 = -5;    // state blob length does not match its spec
export const E_STATE_CRC: i32 = -6;     // state blob checksum mismatch
export const E_NOT_READY: i32 = -7;     // no model initialised yet
export const E_BATCH: i32 = -8;         // batch size or label out of range
