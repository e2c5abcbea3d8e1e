// Fixed-point formats of the device module. docs/model-format.md explains each one; those the
// host needs too are assembly/shared/formats.ts, typed here.
import * as F from "./shared/formats";

/** Latent weights are int16 fixed point: W/W0 = w / 2^WEIGHT_SHIFT, clipped to [-1, 1]. */
export const WEIGHT_SHIFT: i32 = F.WEIGHT_SHIFT;
export const WEIGHT_ONE: i32 = 1 << WEIGHT_SHIFT;

/** Layer-0 inputs are uint8 pixels read as pixel / 2^8. */
export const PIXEL_SHIFT: i32 = F.PIXEL_SHIFT;
/** Hidden activations are uint8, one unit of the normalised scale = 2^HIDDEN_SHIFT. */
export const HIDDEN_SHIFT: i32 = F.HIDDEN_SHIFT;
export const HIDDEN_MAX: i32 = F.HIDDEN_MAX;
/** Output scores are int32, one unit = 2^OUTPUT_SHIFT (finer: the hinge margin lives there). */
export const OUTPUT_SHIFT: i32 = F.OUTPUT_SHIFT;
/** Biases are int32 with BIAS_EXTRA_SHIFT more fraction bits than their layer's output. */
export const BIAS_EXTRA_SHIFT: i32 = F.BIAS_EXTRA_SHIFT;
/** Running means and spreads are int32 with STAT_EXTRA_SHIFT fraction bits below z's units. */
export const STAT_EXTRA_SHIFT: i32 = F.STAT_EXTRA_SHIFT;

/** Error signals are block floating point: int32 mantissas renormalised below 2^DELTA_BITS. */
export const DELTA_BITS: i32 = 14;
/** The centred, projected error of a unit saturates at ±DELTA_CAP before it is rescaled. */
export const DELTA_CAP: i64 = 0x03FFFFFF; // so that |v| · M (M < 32) stays below 2^31

/**
 * Normalisation scale mantissas: 1/(1.25·spread) = 2^-(f+4) · M, M = nibble t of this word,
 * t = the 3 bits of 1.25·spread below its leading bit (M ~ 16 / (1 + (t + 0.5) / 8), within 9 %).
 */
export const SCALE_MANTISSAS: u32 = <u32>F.SCALE_MANTISSAS;

/** Running normalisation statistics move by 1/2^RUNNING_SHIFT of the batch value per step. */
export const RUNNING_SHIFT: i32 = 4;

/**
 * Batches below 2^ONLINE_LOG2_BATCH normalise online: the running statistics (moving by
 * 2^-(ONLINE_LOG2_SAMPLES - log2 batch) per step after a plain average over the first steps,
 * so that they average about 2^ONLINE_LOG2_SAMPLES samples at every batch size) normalise the
 * training forward too, and the backward uses running means of its error terms.
 */
export { ONLINE_LOG2_BATCH } from "./shared/state"; // it decides the state blob's layout
export const ONLINE_LOG2_SAMPLES: i32 = 4;
/**
 * A dense layer with 2^ONLINE_WIDE_LOG2_FAN_IN inputs or more averages twice as many samples
 * per halving of the rate below its start, up to 2^ONLINE_WIDE_EXTRA_LOG2 times: with 16, a
 * conv net's output layer (3,920 inputs) drifted at batch 4 after 70,000 steps; with 64 from
 * the start it lagged its fast early weights; small MLPs need 16 (docs/model-format.md).
 */
export const ONLINE_WIDE_LOG2_FAN_IN: i32 = 11;
export const ONLINE_WIDE_EXTRA_LOG2: i32 = 2;
/** Online calibration averages over about 2^CALIBRATION_LOG2_SAMPLES samples. */
export const CALIBRATION_LOG2_SAMPLES: i32 = 13;

/** QBP: input exponents saturate at 2^QBP_TOP_*; the window extends `window` exponents below. */
export const QBP_TOP_PIXEL: i32 = PIXEL_SHIFT;       // 1.0 for pixels
export const QBP_TOP_HIDDEN: i32 = HIDDEN_SHIFT + 2; // 4.0 for normalised activations

/** Spec ranges and modes (assembly/shared/spec.ts). */
export { QBP_MAX_WINDOW, MAX_LAYERS, MAX_UNITS, MAX_LOG2_BATCH, MODE_BC, MODE_TC, MODE_FIXED } from "./shared/spec";

/**
 * The rate is per sample: an update applies the batch's summed gradient · 2^-RATE_LOG2_BATCH
 * (the mean of a batch of 32), so a run moves the weights alike at every batch size.
 */
export const RATE_LOG2_BATCH: i32 = 5;

/**
 * A layer's rate boost 2^(floor(log2(fan_in + fan_out)) - 3) counts fans up to 2^10 only: the
 * rates were tuned on the 784 -> 256 layer (1,040), and a conv net's output layer with
 * 3,136 inputs, twice as fast, oscillated and collapsed at batch 4 (docs/model-format.md).
 */
export const BOOST_LOG2_FANS: i32 = 10;
