// The steps both float reference nets (mlp.ts, convnet.ts) share: sampling the weights of a
// step, the SGD update with clipping, the deterministic inference weights, the per-layer
// learning-rate factors and the predicted class.
import type { BatchNorm } from "./batchnorm.ts";
import type { WeightKind, WeightMode, ReferenceOptions } from "./options.ts";
import type { Xorshift128 } from "./prng.ts";
import { deterministicBinary, deterministicTernary, sampleBinary, sampleTernary } from "./quantize.ts";

/** BC/TC: draws this step's weights of every layer into `sampled` (float32: nothing to draw). */
export function sampleWeights(kind: WeightKind, weights: Float32Array[], sampled: Float32Array[], rng: Xorshift128): void {
  if (kind === "binary") for (let l = 0; l < weights.length; l++) sampleBinary(weights[l], sampled[l], rng);
  else if (kind === "ternary") for (let l = 0; l < weights.length; l++) sampleTernary(weights[l], sampled[l], rng);
}

/** SGD at rate lr (times each layer's factor), weights clipped to [-1, 1] for BC/TC; the betas at lr · betaScale. */
export function sgdUpdate(
  kind: WeightKind, lr: number, weights: Float32Array[], grads: Float32Array[], scales: readonly number[], bn: BatchNorm[], betaScale: number,
): void {
  const clip = kind !== "real";
  for (let l = 0; l < weights.length; l++) {
    const w = weights[l];
    const g = grads[l];
    const lrw = lr * scales[l];
    if (clip) {
      for (let k = 0; k < w.length; k++) {
        const v = w[k] - lrw * g[k];
        w[k] = v > 1 ? 1 : v < -1 ? -1 : v;
      }
    } else {
      for (let k = 0; k < w.length; k++) w[k] -= lrw * g[k];
    }
    const beta = bn[l].beta;
    const gb = bn[l].gradBeta;
    const lrBeta = lr * betaScale;
    for (let j = 0; j < beta.length; j++) beta[j] -= lrBeta * gb[j];
  }
}

/**
 * The weights inference uses: "deterministic": BC sign(w) (w >= 0 -> +1), TC sign(w) if
 * |w| > 0.5 else 0, written into `into` (allocated when absent); "latent" and float32: w.
 */
export function inferenceWeights(kind: WeightKind, mode: WeightMode, weights: Float32Array[], into?: Float32Array[]): Float32Array[] {
  if (kind === "real" || mode === "latent") return weights;
  if (mode !== "deterministic") throw new RangeError(`unknown weight mode ${String(mode)}`);
  const out = into ?? weights.map((w) => new Float32Array(w.length));
  for (let l = 0; l < weights.length; l++) {
    if (kind === "binary") deterministicBinary(weights[l], out[l]);
    else deterministicTernary(weights[l], out[l]);
  }
  return out;
}

/** fan_in + fan_out of the 784 -> 256 layer whose rates schedule.ts's defaults are. */
export const GLOROT_TUNED_FANS = 784 + 256;

/**
 * Per weight layer learning-rate factors: all 1, explicit, "glorot" (fan_in + fan_out over
 * `base`, by default the first layer's) or "module": the integer module's power-of-two boost
 * 2^min(floor(log2(fan_in + fan_out)), 10) (docs/model-format.md step 6) over the tuned
 * layer's 2^10, so at most 1.
 */
export function layerScales(fans: number[], s: ReferenceOptions["layerLrScales"], base = fans[0]): number[] {
  if (s === undefined) return fans.map(() => 1);
  if (s === "glorot") return fans.map((f) => f / base);
  if (s === "module") return fans.map((f) => Math.min(1, 2 ** (Math.floor(Math.log2(f)) - Math.floor(Math.log2(GLOROT_TUNED_FANS)))));
  if (!Array.isArray(s) || s.length !== fans.length || !s.every((v) => v >= 0)) {
    throw new RangeError(`layerLrScales must be "glorot", "module" or ${fans.length} numbers >= 0, got ${JSON.stringify(s)}`);
  }
  return [...s];
}

/** Index of the first largest of y[o .. o + len). */
export function argmax(y: Float32Array, o: number, len: number): number {
  let best = 0;
  for (let k = 1; k < len; k++) if (y[o + k] > y[o + best]) best = k;
  return best;
}
