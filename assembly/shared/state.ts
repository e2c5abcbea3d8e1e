// The state blob's header (docs/model-format.md, "State blob"), little-endian: the one list
// the device (assembly/state.ts) and the host (host/module/state-layout.ts, host/export/)
// read. Plain TypeScript that AssemblyScript also compiles.
export const STATE_MAGIC = 0x4C554D46; // "FMUL"
export const STATE_VERSION = 3;
export const STATE_HEADER_BYTES = 64;

export const STATE_O_MAGIC = 0;       // u32
export const STATE_O_VERSION = 4;     // u16
export const STATE_O_HEADER_LEN = 6;  // u16: STATE_HEADER_BYTES
export const STATE_O_LENGTH = 8;      // u32: total blob length
export const STATE_O_DIGEST = 12;     // u32: CRC-32 of bytes [STATE_O_SPEC, length), the state digest
export const STATE_O_SPEC = 16;       // SPEC_BYTES
export const STATE_O_RNG = 64;        // u32 x 4: xorshift128 words x, y, z, w
export const STATE_O_STEP = 80;       // u32
export const STATE_O_LR = 84;         // i32: learning-rate shift, Q16
export const STATE_O_LOSS = 88;       // u32: loss of the last step (Q8)
export const STATE_O_RESERVED = 92;   // 4 bytes, 0
/** Start of the layers: per layer int16 weights [nIn][nOut] (padded to 4 bytes), int32 bias, running mean, running spread [nOut]. */
export const STATE_O_LAYERS = 96;
/** Batches below 2^ONLINE_LOG2_BATCH normalise online and keep running error terms per layer in the state. */
export const ONLINE_LOG2_BATCH = 3;
