// The model spec's layout and ranges (docs/model-format.md, "Spec"): the one list the device's
// validator (assembly/spec.ts) and the host's (host/module/spec.ts) check against. Plain
// TypeScript that AssemblyScript also compiles; test/module/shared-tables.test.ts runs both
// validators on the same specs.
export const SPEC_VERSION = 1;
export const SPEC_BYTES = 48;

// Field offsets.
export const SPEC_O_VERSION = 0;    // u8
export const SPEC_O_MODE = 1;       // u8: MODE_BC or MODE_TC
export const SPEC_O_QBP = 2;        // u8: 0 or 1
export const SPEC_O_WINDOW = 3;     // u8: QBP exponent window
export const SPEC_O_LOG2_BATCH = 4; // u8
export const SPEC_O_LAYERS = 5;     // u8
export const SPEC_O_LR_START = 6;   // i8: learning-rate shift at step 0
export const SPEC_O_LR_END = 7;     // i8: learning-rate shift after the decay steps
export const SPEC_O_DECAY = 8;      // u32: decay steps, 0 = constant rate
export const SPEC_O_RAND_BITS = 12; // u8
export const SPEC_O_RESERVED = 13;  // 3 bytes, 0
export const SPEC_O_SIZES = 16;     // u16 x SPEC_MAX_SIZES: inputs, hidden..., outputs, then 0
export const SPEC_MAX_SIZES = 16;

// Ranges.
export const MODE_BC = 0;
export const MODE_TC = 1;
export const QBP_MAX_WINDOW = 8;    // window 1..8
export const MAX_LOG2_BATCH = 8;    // batch 1..256, a power of two
export const MAX_LAYERS = 8;        // layers 1..8
export const MAX_UNITS = 4096;      // every width 1..4096
export const MIN_OUTPUTS = 2;       // outputs 2..255: labels are uint8
export const MAX_OUTPUTS = 255;
export const LR_SHIFT_MIN = -8;     // both learning-rate shifts -8..30
export const LR_SHIFT_MAX = 30;
export const MAX_RAND_BITS = 16;    // random bits per decision: a power of two 1..16
