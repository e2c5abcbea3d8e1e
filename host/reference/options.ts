/** Options and variant names of the float reference (host/reference/). */

/**
 * - "float32": full precision, Glorot-uniform real weights, no clipping.
 * - "float-bc" / "float-tc": stochastic binary / ternary connect, latent weights in W0 units.
 * - "-qbp": additionally quantized backprop (power-of-two layer inputs in dW).
 */
export type Variant = "float32" | "float-bc" | "float-tc" | "float-bc-qbp" | "float-tc-qbp";

export const VARIANTS: readonly Variant[] = ["float32", "float-bc", "float-tc", "float-bc-qbp", "float-tc-qbp"];

/** Which weights `evaluate` uses. For "float32" both are the real weights. */
export type WeightMode = "deterministic" | "latent";

export interface ReferenceOptions {
  /** Layer widths, input first, e.g. [784, 256, 10]. */
  sizes: number[];
  variant: Variant;
  /** Maximum (and usual) minibatch size; buffers are sized for it. */
  batch: number;
  seed: number;
  /** Learning rate decays exponentially from lrStart to lrEnd over `decaySteps` training steps, then stays at lrEnd. */
  lrStart: number;
  lrEnd: number;
  decaySteps: number;
  /** QBP exponent window size (number of exponents), default 8. */
  window?: number;
  /**
   * BC/TC: train with the deterministic weights (as inference) instead of sampled ones, the
   * integer module's `fixed=1` (default false).
   */
  fixedWeights?: boolean;
  /**
   * Learning rate of the batch-norm betas relative to the weights' (default 1: the same
   * learning rate). See schedule.ts for why BC/TC need a much smaller one.
   */
  betaLrScale?: number;
  /**
   * Per-layer multipliers of the weights' learning rate (default all 1). "glorot" gives
   * layer l the factor (ins_l + outs_l) / (ins_0 + outs_0): the paper updates real-valued
   * weights, and in W0 units (W0 = sqrt(1.5 / (ins + outs))) that is a per-layer learning
   * rate proportional to 1 / W0^2. "module": the integer module's power of two of the same
   * (steps.ts layerScales), so that both forms step alike. See schedule.ts.
   */
  layerLrScales?: number[] | "glorot" | "module";
  /**
   * Batch norm's backward on hidden layers: "exact" (default) or "relu-bounded", where the
   * normalised value in the projection term is taken no lower than -beta, the value the ReLU
   * output gives back: what the integer module can compute from its stored activations
   * (docs/model-format.md, step 6), so the method's float form uses it (defaultSchedule).
   */
  bnBackward?: "exact" | "relu-bounded";
  /**
   * Batches smaller than this normalise online (running statistics in the training forward,
   * running means of the error terms in the backward); default 0 (never).
   */
  onlineBelow?: number;
  /** Online mode: running means move by 2^-onlineShift per step (default 4). */
  onlineShift?: number;
  /**
   * Batch norm's scale: "variance" (default, the standard deviation) or "mad" (1.25 times the
   * mean absolute deviation, with its exact backward: the integer module's normalisation,
   * docs/model-format.md steps 4 and 6; defaultSchedule uses it for BC/TC).
   */
  normalisation?: "variance" | "mad";
}

export type WeightKind = "real" | "binary" | "ternary";

export function weightKind(v: Variant): WeightKind {
  if (v === "float32") return "real";
  return v.startsWith("float-bc") ? "binary" : "ternary";
}

export function usesQbp(v: Variant): boolean {
  return v.endsWith("-qbp");
}
