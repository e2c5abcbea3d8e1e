// What a trained model file holds, in numbers for the report: per layer the shares of -1, 0
// and +1 in the deterministic network, the histogram of the latent weights, and the
// confusion matrix of the test split. The deterministic weights and the predictions come
// from the inference export (host/export/), which computes exactly what the device does.
import type { Dataset } from "../datasets/dataset.ts";
import { exportModel, type ExportedModel } from "../export/format.ts";
import { predict } from "../export/infer.ts";
import type { ModelFile } from "../export/model-file.ts";

/** Latent weights are int16 in [-2^14, 2^14] (docs/model-format.md). */
export const WEIGHT_ONE = 1 << 14;
/** Histogram bins over [-2^14, 2^14]: 64 bins of 512. */
export const HISTOGRAM_BINS = 64;

export interface LayerWeights {
  layer: number;
  nIn: number;
  nOut: number;
  /** Deterministic weights of each value (BC has no zeros). */
  minus: number;
  zero: number;
  plus: number;
  /** HISTOGRAM_BINS + 1 edges from -2^14 to 2^14; the last bin includes 2^14. */
  edges: number[];
  counts: number[];
}

function popcount(words: Uint32Array): number {
  let n = 0;
  for (let w of words) { w >>>= 0; while (w) { w &= w - 1; n++; } }
  return n;
}

/** Per-layer weight statistics of a model (`exported`: exportModel(model), if already made). */
export function weightStats(model: ModelFile, exported: ExportedModel = exportModel(model)): LayerWeights[] {
  const width = (2 * WEIGHT_ONE) / HISTOGRAM_BINS;
  return model.layers.map((s, l) => {
    const e = exported.layers[l];
    const total = s.nIn * s.nOut;
    const plus = popcount(e.pos);
    const minus = exported.mode === "tc" ? popcount(e.neg) : total - plus;
    const counts = new Array<number>(HISTOGRAM_BINS).fill(0);
    for (const w of s.weights) counts[Math.min(HISTOGRAM_BINS - 1, Math.floor((w + WEIGHT_ONE) / width))]++;
    const edges = Array.from({ length: HISTOGRAM_BINS + 1 }, (_, i) => -WEIGHT_ONE + i * width);
    return { layer: l, nIn: s.nIn, nOut: s.nOut, minus, zero: total - plus - minus, plus, edges, counts };
  });
}

/** counts[true class][predicted class] of the deterministic network on a dataset. */
export function confusionMatrix(model: ModelFile, ds: Dataset, exported: ExportedModel = exportModel(model)): number[][] {
  const classes = model.spec.sizes[model.spec.sizes.length - 1];
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  const predicted = predict(exported, ds.images, ds.count);
  for (let s = 0; s < ds.count; s++) m[ds.labels[s]][predicted[s]]++;
  return m;
}
