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

/** Normalised, clamped activations a[j] = clamp(y, 0, HIDDEN_MAX) of a hidden unit's sum. */
const activation = (z: number, l: ExportLayer, j: number) => {
  const y = normalise(z, l, j);
  return y < 0 ? 0 : y > HIDDEN_MAX ? HIDDEN_MAX : y;
};

/**
 * A conv layer on one image x [h][w][cin] (uint8, channels-last): per pixel, the 3x3 patch
 * [ky][kx][ci] (0 outside the image) through the packed weights as a dense layer, the
 * normalisation and ReLU; then the 2x2 max pool when the layer pools. Returns [h'][w'][nOut].
 */
function convLayer(l: ExportLayer, tc: boolean, x: Uint8Array): Uint8Array {
  const { height: h, width: w, cin, pool } = l.conv!;
  const out = new Uint8Array(h * w * l.nOut), patch = new Uint8Array(9 * cin), z = new Int32Array(l.nOut);
  for (let y = 0; y < h; y++) {
    for (let x0 = 0; x0 < w; x0++) {
      patch.fill(0);
      for (let ky = 0; ky < 3; ky++) {
        for (let kx = 0; kx < 3; kx++) {
          const sy = y + ky - 1, sx = x0 + kx - 1;
          if (sy >= 0 && sy < h && sx >= 0 && sx < w) patch.set(x.subarray((sy * w + sx) * cin, (sy * w + sx + 1) * cin), (ky * 3 + kx) * cin);
        }
      }
      sums(l, tc, patch, z);
      for (let j = 0; j < l.nOut; j++) out[(y * w + x0) * l.nOut + j] = activation(z[j], l, j);
    }
  }
  if (!pool) return out;
  const c = l.nOut, pooled = new Uint8Array((h >> 1) * (w >> 1) * c);
  for (let py = 0; py < h >> 1; py++) {
    for (let px = 0; px < w >> 1; px++) {
      for (let j = 0; j < c; j++) {
        const at = (2 * py * w + 2 * px) * c + j;
        pooled[(py * (w >> 1) + px) * c + j] = Math.max(out[at], out[at + c], out[at + w * c], out[at + w * c + c]);
      }
    }
  }
  return pooled;
}

/** The output scores (int32, one unit = 2^8) of one sample (`x`: the uint8 inputs, HWC for a conv net). */
export function scores(m: ExportedModel, x: Uint8Array): Int32Array {
  const tc = m.mode === "tc";
  let a = x;
  for (let l = 0; l < m.layers.length; l++) {
    const layer = m.layers[l];
    if (layer.conv) { a = convLayer(layer, tc, a); continue; } // the last conv's image is the next layer's flat input
    const z = new Int32Array(layer.nOut);
    sums(layer, tc, a, z);
    if (l === m.layers.length - 1) return z.map((v, j) => normalise(v, layer, j));
    a = Uint8Array.from(z, (v, j) => activation(v, layer, j));
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
