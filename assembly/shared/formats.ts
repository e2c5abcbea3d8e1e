// The fixed-point formats of the device module (docs/model-format.md), the one list the device
// (assembly/config.ts) and the host's inference export (host/export/) use. Plain TypeScript
// that AssemblyScript also compiles.

/** Latent weights are int16 fixed point: W/W0 = w / 2^WEIGHT_SHIFT, clipped to [-1, 1]. */
export const WEIGHT_SHIFT = 14;
/** Layer-0 inputs are uint8 pixels read as pixel / 2^8. */
export const PIXEL_SHIFT = 8;
/** Hidden activations are uint8, one unit of the normalised scale = 2^HIDDEN_SHIFT. */
export const HIDDEN_SHIFT = 4;
export const HIDDEN_MAX = 255;
/** Output scores are int32, one unit = 2^OUTPUT_SHIFT (finer: the hinge margin lives there). */
export const OUTPUT_SHIFT = 8;
/** Biases keep this many bits below their layer's output units (used rounded, docs/model-format.md). */
export const BIAS_EXTRA_SHIFT = 8;
/** Running means and spreads keep this many bits below z's units (used rounded). */
export const STAT_EXTRA_SHIFT = 8;
/**
 * Normalisation scale mantissas: 1/(1.25·spread) = 2^-(f+4) · M, M = nibble t of this word,
 * t = the 3 bits of 1.25·spread below its leading bit (M ~ 16 / (1 + (t + 0.5) / 8), within 9 %).
 */
export const SCALE_MANTISSAS = 0x899ABCDF;
