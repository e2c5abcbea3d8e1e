// Fixed-point formats of the device module. docs/model-format.md explains each one.

/** Latent weights are int16 fixed point: W/W0 = w / 2^WEIGHT_SHIFT, clipped to [-1, 1]. */
export const WEIGHT_SHIFT: i32 = 14;
export const WEIGHT_ONE: i32 = 1 << WEIGHT_SHIFT;

/** Layer-0 inputs are uint8 pixels read as pixel / 2^8. */
export const PIXEL_SHIFT: i32 = 8;
/** Hidden activations are uint8, one unit of the normalised scale = 2^HIDDEN_SHIFT. */
export const HIDDEN_SHIFT: i32 = 4;
export const HIDDEN_MAX: i32 = 255;
/** Output scores are int32, one unit = 2^OUTPUT_SHIFT (finer: the hinge margin lives there). */
export const OUTPUT_SHIFT: i32 = 8;

/** Error signals are block floating point: int32 mantissas renormalised below 2^DELTA_BITS. */
export const DELTA_BITS: i32 = 14;

/**
 * Normalisation scale mantissas: 1/(1.25·spread) = 2^-(f+4) · M, M = nibble t of this word,
 * t = the 3 bits of 1.25·spread below its leading bit (M ~ 16 / (1 + (t + 0.5) / 8), within 9 %).
 */
export const SCALE_MANTISSAS: u32 = 0x899ABCDF;

/** Running normalisation statistics move by 1/2^RUNNING_SHIFT of the batch value per step. */
export const RUNNING_SHIFT: i32 = 4;

/** QBP: input exponents saturate at 2^QBP_TOP_*; the window extends `window` exponents below. */
export const QBP_TOP_PIXEL: i32 = PIXEL_SHIFT;       // 1.0 for pixels
export const QBP_TOP_HIDDEN: i32 = HIDDEN_SHIFT + 2; // 4.0 for normalised activations

/** Spec ranges and modes (assembly/shared/spec.ts). */
export { QBP_MAX_WINDOW, MAX_LAYERS, MAX_UNITS, MAX_LOG2_BATCH, MODE_BC, MODE_TC } from "./shared/spec";
