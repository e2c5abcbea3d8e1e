// Reference inference on the exported format (docs/export-format.md), in int32 arithmetic
// that matches the device module's `evaluate`/`predict` bit for bit: the C header's
// predict function computes the same thing.
import { HIDDEN_MAX, type ExportedModel, type ExportLayer } from "./format.ts";

/** y = ((z - mean) · M · 2^(F-k), rounded half up by an arithmetic shift) + bias, int32 throughout. */
export function normalise(z: number, l: ExportLayer, j: number): number {
  let d = 0;
  const dz = (z - l.mean[j]) | 0;
  for (let m = l.mul[j], b = 0; m !== 0; m >>= 1, b++) if (m & 1) d = (d + (dz << b)) | 0; // · M, shift-and-add
  const s = l.shift - l.k[j];
  const y = s >= 0 ? d << s : ((d + (1 << (-s - 1))) | 0) >> -s;
  return (y + l.bias[j]) | 0;
}

/** z_j = Σ_i s_ij x_i with the packed weights (BC: 2·Σ_{+1} x − Σ x; TC: Σ_{+1} x − Σ_{−1} x). */
function sums(l: ExportLayer, tc: boolean, x: Uint8Array, z: Int32Array): void {
  let total = 0;
  if (!tc) for (let i = 0; i < l.nIn; i++) total += x[i];
  for (let j = 0; j < l.nOut; j++) {
    const base = j * l.words;
    let p = 0, n = 0;
    for (let w = 0; w < l.words; w++) {
      for (let bits = l.pos[base + w]; bits !== 0; bits &= bits - 1) p += x[(w << 5) + 31 - Math.clz32(bits & -bits)];
      if (tc) for (let bits = l.neg[base + w]; bits !== 0; bits &= bits - 1) n += x[(w << 5) + 31 - Math.clz32(bits & -bits)];
    }
    z[j] = tc ? (p - n) | 0 : ((p << 1) - total) | 0;
  }
}

/** The output scores (int32, one unit = 2^8) of one sample (`x`: the uint8 inputs). */
export function scores(m: ExportedModel, x: Uint8Array): Int32Array {
  const tc = m.mode === "tc";
  let a = x;
  for (let l = 0; l < m.layers.length; l++) {
    const layer = m.layers[l];
    const z = new Int32Array(layer.nOut);
    sums(layer, tc, a, z);
    for (let j = 0; j < layer.nOut; j++) z[j] = normalise(z[j], layer, j);
    if (l === m.layers.length - 1) return z;
    const next = new Uint8Array(layer.nOut);
    for (let j = 0; j < layer.nOut; j++) next[j] = z[j] < 0 ? 0 : z[j] > HIDDEN_MAX ? HIDDEN_MAX : z[j];
    a = next;
  }
  throw new Error("model without layers");
}

/** The predicted class of one sample: the first highest score. */
export function predictOne(m: ExportedModel, x: Uint8Array): number {
  const y = scores(m, x);
  let best = 0;
  for (let j = 1; j < y.length; j++) if (y[j] > y[best]) best = j;
  return best;
}

/** Predicted classes of `count` samples stored row-major in `images` (uint8, sizes[0] each). */
export function predict(m: ExportedModel, images: Uint8Array, count: number): Uint8Array {
  const f = m.sizes[0];
  if (images.length < count * f) throw new RangeError(`predict: ${count} samples need ${count * f} bytes, got ${images.length}`);
  const out = new Uint8Array(count);
  for (let s = 0; s < count; s++) out[s] = predictOne(m, images.subarray(s * f, (s + 1) * f));
  return out;
}

/** Fraction of `count` samples whose prediction equals the label. */
export function accuracy(m: ExportedModel, images: Uint8Array, labels: Uint8Array, count: number): number {
  const p = predict(m, images, count);
  let correct = 0;
  for (let s = 0; s < count; s++) if (p[s] === labels[s]) correct++;
  return count ? correct / count : 0;
}
