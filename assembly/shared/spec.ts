/// <reference path="./portable.d.ts" preserve="true" />
// The model spec's layout, ranges and validator (docs/model-format.md, "Spec"): the device
// (assembly/spec.ts specValid) and the host (host/module/spec.ts checkSpecBytes) run the same
// specFault and sizeFault. Plain TypeScript that AssemblyScript also compiles;
// test/module/shared-tables.test.ts checks the two compilations agree on mutated specs.
import { product } from "./arith.ts";

export const SPEC_VERSION = 1;
export const SPEC_BYTES = 48;

// Field offsets.
export const SPEC_O_VERSION = 0;    // u8
export const SPEC_O_MODE = 1;       // u8: MODE_BC or MODE_TC, | MODE_FIXED
export const SPEC_O_QBP = 2;        // u8: 0 or 1
export const SPEC_O_WINDOW = 3;     // u8: QBP exponent window
export const SPEC_O_LOG2_BATCH = 4; // u8
export const SPEC_O_LAYERS = 5;     // u8
export const SPEC_O_LR_START = 6;   // i8: learning-rate shift at step 0
export const SPEC_O_LR_END = 7;     // i8: learning-rate shift after the decay steps
export const SPEC_O_DECAY = 8;      // u32: decay steps, 0 = constant rate
export const SPEC_O_RAND_BITS = 12; // u8
export const SPEC_O_HEIGHT = 13;    // u8: a conv net's input height, 0 for a dense net
export const SPEC_O_WIDTH = 14;     // u8: its input width, 0 for a dense net
export const SPEC_O_RESERVED = 15;  // 1 byte, 0
export const SPEC_O_SIZES = 16;     // u16 x SPEC_MAX_SIZES: inputs, hidden..., outputs, then 0
// A conv net's sizes: input channels, then per layer its units (channels) | SIZE_CONV for a
// 3x3 conv, | SIZE_POOL when 2x2 max pooling follows it; dense layers are plain widths.
export const SIZE_CONV = 0x8000;
export const SIZE_POOL = 0x4000;
export const SIZE_UNITS = 0x1FFF;
export const SPEC_MAX_SIZES = 16;

// Ranges.
export const MODE_BC = 0;
export const MODE_TC = 1;
/** Mode flag: training uses the deterministic weights (as inference) instead of sampled ones. */
export const MODE_FIXED = 2;
export const QBP_MAX_WINDOW = 8;    // window 1..8
export const MAX_LOG2_BATCH = 8;    // batch 1..256, a power of two
export const MAX_LAYERS = 8;        // layers 1..8
export const MAX_UNITS = 4096;      // every width 1..4096
export const MIN_OUTPUTS = 2;       // outputs 2..255: labels are uint8
export const MAX_OUTPUTS = 255;
export const LR_SHIFT_MIN = -8;     // both learning-rate shifts -8..30
export const LR_SHIFT_MAX = 30;
export const MAX_RAND_BITS = 16;    // random bits per decision: a power of two 1..16
export const MAX_INPUT_CHANNELS = 64; // a conv net's input channels 1..64
export const MAX_CONV_CHANNELS = 256; // conv channels 1..256
export const MIN_CONV_ROWS = 8;       // batch x height x width of every conv layer, at least

// The validator: the first rule a spec breaks, as one of these codes (0: none). The device
// refuses the spec on any code; the host names the field and its range from it.
export const SPEC_F_VERSION = 1;
export const SPEC_F_MODE = 2;
export const SPEC_F_QBP = 3;
export const SPEC_F_WINDOW = 4;
export const SPEC_F_BATCH = 5;
export const SPEC_F_LAYERS = 6;
export const SPEC_F_LR_START = 7;
export const SPEC_F_LR_END = 8;
export const SPEC_F_RAND_BITS = 9;
export const SPEC_F_RESERVED = 10;
export const SPEC_F_WIDTH = 11;
export const SPEC_F_OUTPUTS = 12;
export const SPEC_F_UNUSED_SIZE = 13;
export const SPEC_F_SHAPE = 14;       // a conv net's structure (shapeFault)

/**
 * The first rule the spec's single-byte fields break, or 0. `lrStart` and `lrEnd` are the
 * signed shifts, `reserved` the OR of the reserved bytes; the sizes are sizeFault's.
 */
export function specFault(
  version: i32, mode: i32, qbp: i32, window: i32, log2Batch: i32, layers: i32,
  lrStart: i32, lrEnd: i32, randBits: i32, reserved: i32,
): i32 {
  if (version != SPEC_VERSION) return SPEC_F_VERSION;
  if ((mode & ~MODE_FIXED) > MODE_TC) return SPEC_F_MODE;
  if (qbp > 1) return SPEC_F_QBP;
  if (window < 1 || window > QBP_MAX_WINDOW) return SPEC_F_WINDOW;
  if (log2Batch > MAX_LOG2_BATCH) return SPEC_F_BATCH;
  if (layers < 1 || layers > MAX_LAYERS) return SPEC_F_LAYERS;
  if (lrStart < LR_SHIFT_MIN || lrStart > LR_SHIFT_MAX) return SPEC_F_LR_START;
  if (lrEnd < LR_SHIFT_MIN || lrEnd > LR_SHIFT_MAX) return SPEC_F_LR_END;
  if (randBits < 1 || randBits > MAX_RAND_BITS || (randBits & (randBits - 1)) != 0) return SPEC_F_RAND_BITS;
  if (reserved != 0) return SPEC_F_RESERVED;
  return 0;
}

/** The rule size `i` (0..SPEC_MAX_SIZES-1, value `n`; a conv net's without its SIZE_ flags) of a
 * net of `layers` layers breaks, or 0. */
export function sizeFault(i: i32, layers: i32, n: i32): i32 {
  if (i > layers) return n != 0 ? SPEC_F_UNUSED_SIZE : 0;
  if (n < 1 || n > MAX_UNITS) return SPEC_F_WIDTH;
  if (i == layers && (n < MIN_OUTPUTS || n > MAX_OUTPUTS)) return SPEC_F_OUTPUTS;
  return 0;
}

/**
 * The rule a conv net's structure breaks (SPEC_F_SHAPE), or 0; a dense net (h = w = 0) and
 * its plain sizes break none. `size(i)`: size i with its flags. The input has 1..64 channels;
 * conv layers (1..256 channels, batch·h·w >= 8 rows), each pooled or not (even sides), come
 * first, then dense layers whose flattened input has at most MAX_UNITS values; the last layer
 * is dense. The widths and outputs are sizeFault's.
 */
export function shapeFault(h: i32, w: i32, log2Batch: i32, layers: i32, size: (i: i32) => i32): i32 {
  let image = h != 0;
  if ((w != 0) != image) return SPEC_F_SHAPE;
  let c = size(0);
  if (image && c > MAX_INPUT_CHANNELS) return SPEC_F_SHAPE;
  for (let i = 1; i <= layers; i++) {
    let e = size(i);
    let n = e & SIZE_UNITS;
    if ((e & SIZE_CONV) != 0) {
      if (!image || n > MAX_CONV_CHANNELS || (e & ~(SIZE_CONV | SIZE_POOL | SIZE_UNITS)) != 0) return SPEC_F_SHAPE;
      if ((product(h, w) << log2Batch) < MIN_CONV_ROWS) return SPEC_F_SHAPE;
      if ((e & SIZE_POOL) != 0) {
        if (((h | w) & 1) != 0) return SPEC_F_SHAPE;
        h >>= 1; w >>= 1;
      }
    } else {
      if ((e & ~SIZE_UNITS) != 0) return SPEC_F_SHAPE; // a dense layer has no flags
      if (image && product(product(c, h), w) > MAX_UNITS) return SPEC_F_SHAPE;
      image = false;
    }
    c = n;
  }
  return image ? SPEC_F_SHAPE : 0;
}
