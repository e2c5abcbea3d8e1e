/**
 * Dense-layer kernels of the reference, all on flat row-major Float32Array buffers:
 *   activations x: [sample][input], n samples of `ins` values
 *   weights W:     [input][output], W[i * outs + j]
 *   outputs z:     [sample][output]
 * Zero inputs are skipped (exact: they add nothing). Non-zero inputs are handled eight (then
 * four, then one) at a time so each pass over a row of z / dW does several multiply-adds
 * per load and store of that row.
 * `idx` / `val` are caller-owned scratch of at least max(ins, n) entries.
 */

/** z = x W for n samples. */
export function denseForward(
  x: Float32Array, n: number, ins: number, W: Float32Array, outs: number, z: Float32Array,
  idx: Int32Array, val: Float32Array,
): void {
  for (let b = 0; b < n; b++) {
    const xo = b * ins;
    let m = 0;
    for (let i = 0; i < ins; i++) {
      const v = x[xo + i];
      if (v !== 0) {
        idx[m] = i * outs;
        val[m] = v;
        m++;
      }
    }
    accumulateRows(z, b * outs, outs, W, idx, val, m);
  }
}

/** dW = x^T dz over n samples (overwrites dW). */
export function denseWeightGrad(
  x: Float32Array, n: number, ins: number, dz: Float32Array, outs: number, dW: Float32Array,
  idx: Int32Array, val: Float32Array,
): void {
  for (let i = 0; i < ins; i++) {
    let m = 0;
    for (let b = 0; b < n; b++) {
      const v = x[b * ins + i];
      if (v !== 0) {
        idx[m] = b * outs;
        val[m] = v;
        m++;
      }
    }
    accumulateRows(dW, i * outs, outs, dz, idx, val, m);
  }
}

/**
 * dx = dz W^T, but only where mask (the layer input, a ReLU output) is > 0; elsewhere
 * dx = 0 (the ReLU derivative). Used for hidden layers.
 */
export function denseBackwardMasked(
  dz: Float32Array, n: number, outs: number, W: Float32Array, ins: number,
  mask: Float32Array, dx: Float32Array,
): void {
  for (let b = 0; b < n; b++) {
    const go = b * outs;
    const xo = b * ins;
    for (let i = 0; i < ins; i++) {
      if (mask[xo + i] > 0) {
        const wo = i * outs;
        let s = 0;
        for (let j = 0; j < outs; j++) s += dz[go + j] * W[wo + j];
        dx[xo + i] = s;
      } else {
        dx[xo + i] = 0;
      }
    }
  }
}

/** out[o .. o+len) = sum_k val[k] * src[idx[k] .. idx[k]+len) (zero if m = 0). */
function accumulateRows(
  out: Float32Array, o: number, len: number, src: Float32Array, idx: Int32Array, val: Float32Array, m: number,
): void {
  let k = 0;
  if (m >= 4) {
    const r0 = idx[0], r1 = idx[1], r2 = idx[2], r3 = idx[3];
    const v0 = val[0], v1 = val[1], v2 = val[2], v3 = val[3];
    for (let j = 0; j < len; j++) {
      out[o + j] = v0 * src[r0 + j] + v1 * src[r1 + j] + v2 * src[r2 + j] + v3 * src[r3 + j];
    }
    k = 4;
  } else {
    out.fill(0, o, o + len);
  }
  for (; k + 7 < m; k += 8) {
    const r0 = idx[k], r1 = idx[k + 1], r2 = idx[k + 2], r3 = idx[k + 3];
    const r4 = idx[k + 4], r5 = idx[k + 5], r6 = idx[k + 6], r7 = idx[k + 7];
    const v0 = val[k], v1 = val[k + 1], v2 = val[k + 2], v3 = val[k + 3];
    const v4 = val[k + 4], v5 = val[k + 5], v6 = val[k + 6], v7 = val[k + 7];
    for (let j = 0; j < len; j++) {
      out[o + j] += v0 * src[r0 + j] + v1 * src[r1 + j] + v2 * src[r2 + j] + v3 * src[r3 + j] +
        (v4 * src[r4 + j] + v5 * src[r5 + j] + v6 * src[r6 + j] + v7 * src[r7 + j]);
    }
  }
  for (; k + 3 < m; k += 4) {
    const r0 = idx[k], r1 = idx[k + 1], r2 = idx[k + 2], r3 = idx[k + 3];
    const v0 = val[k], v1 = val[k + 1], v2 = val[k + 2], v3 = val[k + 3];
    for (let j = 0; j < len; j++) {
      out[o + j] += v0 * src[r0 + j] + v1 * src[r1 + j] + v2 * src[r2 + j] + v3 * src[r3 + j];
    }
  }
  for (; k < m; k++) {
    const r = idx[k];
    const v = val[k];
    for (let j = 0; j < len; j++) out[o + j] += v * src[r + j];
  }
}
