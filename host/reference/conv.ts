/**
 * 3x3 convolution (stride 1, zero padding "same") and 2x2 max pooling of the reference, on
 * channels-last (HWC) Float32Array buffers, as the device module lays them out
 * (docs/model-format.md, "Convolutional nets"):
 *   activations x: [sample][y][x][channel]
 *   conv weights W: [ky][kx][cin][cout], W[((ky * 3 + kx) * cin + ci) * cout + co]
 * For one output pixel and one kernel offset the inputs and the outputs are contiguous, so
 * every kernel here is the dense kernel's row walk over 9·H·W slices; zero inputs are skipped.
 */

/** Image geometry of a conv layer: height, width, input and output channels. */
export interface ConvGeometry {
  h: number;
  w: number;
  cin: number;
  cout: number;
}

/** The valid kernel offsets at output row/column `p` of `side`: [first, last] of 0..2. */
function range(p: number, side: number): [number, number] {
  return [p === 0 ? 1 : 0, p === side - 1 ? 1 : 2];
}

/** z = conv(x, W) for n samples. */
export function convForward(x: Float32Array, n: number, g: ConvGeometry, W: Float32Array, z: Float32Array): void {
  const { h, w, cin, cout } = g;
  const rowStride = w * cin;
  let o = 0; // output pixel offset in z
  let base = 0; // input pixel offset of the same (b, y, x)
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < h; y++) {
      const [ky0, ky1] = range(y, h);
      for (let xx = 0; xx < w; xx++, o += cout, base += cin) {
        const [kx0, kx1] = range(xx, w);
        z.fill(0, o, o + cout);
        for (let ky = ky0; ky <= ky1; ky++) {
          for (let kx = kx0; kx <= kx1; kx++) {
            const src = base + (ky - 1) * rowStride + (kx - 1) * cin;
            const wrow = (ky * 3 + kx) * cin * cout;
            for (let ci = 0; ci < cin; ci++) {
              const v = x[src + ci];
              if (v === 0) continue;
              const r = wrow + ci * cout;
              for (let co = 0; co < cout; co++) z[o + co] += v * W[r + co];
            }
          }
        }
      }
    }
  }
}

/** dW = the gradient of sum(dz · conv(x, W)) w.r.t. W, over n samples (overwrites dW). */
export function convWeightGrad(x: Float32Array, n: number, g: ConvGeometry, dz: Float32Array, dW: Float32Array): void {
  const { h, w, cin, cout } = g;
  const rowStride = w * cin;
  dW.fill(0);
  let o = 0;
  let base = 0;
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < h; y++) {
      const [ky0, ky1] = range(y, h);
      for (let xx = 0; xx < w; xx++, o += cout, base += cin) {
        const [kx0, kx1] = range(xx, w);
        for (let ky = ky0; ky <= ky1; ky++) {
          for (let kx = kx0; kx <= kx1; kx++) {
            const src = base + (ky - 1) * rowStride + (kx - 1) * cin;
            const wrow = (ky * 3 + kx) * cin * cout;
            for (let ci = 0; ci < cin; ci++) {
              const v = x[src + ci];
              if (v === 0) continue;
              const r = wrow + ci * cout;
              for (let co = 0; co < cout; co++) dW[r + co] += v * dz[o + co];
            }
          }
        }
      }
    }
  }
}

/**
 * dx = the gradient of sum(dz · conv(x, W)) w.r.t. x, but 0 where mask (the layer input, a
 * ReLU output) is not > 0 (the ReLU derivative). Overwrites dx.
 */
export function convBackwardMasked(
  dz: Float32Array, n: number, g: ConvGeometry, W: Float32Array, mask: Float32Array, dx: Float32Array,
): void {
  const { h, w, cin, cout } = g;
  const rowStride = w * cin;
  dx.fill(0, 0, n * h * w * cin);
  let o = 0;
  let base = 0;
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < h; y++) {
      const [ky0, ky1] = range(y, h);
      for (let xx = 0; xx < w; xx++, o += cout, base += cin) {
        const [kx0, kx1] = range(xx, w);
        for (let ky = ky0; ky <= ky1; ky++) {
          for (let kx = kx0; kx <= kx1; kx++) {
            const dst = base + (ky - 1) * rowStride + (kx - 1) * cin;
            const wrow = (ky * 3 + kx) * cin * cout;
            for (let ci = 0; ci < cin; ci++) {
              if (!(mask[dst + ci] > 0)) continue;
              const r = wrow + ci * cout;
              let s = 0;
              for (let co = 0; co < cout; co++) s += dz[o + co] * W[r + co];
              dx[dst + ci] += s;
            }
          }
        }
      }
    }
  }
}

/**
 * 2x2 max pooling, stride 2, of n samples of h x w x c (h, w even): out and, per output
 * value, the index in x of its maximum (window order (0,0), (0,1), (1,0), (1,1); the first
 * maximum wins ties, as on the device).
 */
export function poolForward(
  x: Float32Array, n: number, h: number, w: number, c: number, out: Float32Array, argmax: Int32Array,
): void {
  const ph = h >> 1;
  const pw = w >> 1;
  const rowStride = w * c;
  let k = 0;
  for (let b = 0; b < n; b++) {
    for (let py = 0; py < ph; py++) {
      for (let px = 0; px < pw; px++) {
        const first = ((b * h + 2 * py) * w + 2 * px) * c;
        for (let ch = 0; ch < c; ch++, k++) {
          const i0 = first + ch;
          let best = i0;
          for (const i of [i0 + c, i0 + rowStride, i0 + rowStride + c]) if (x[i] > x[best]) best = i;
          out[k] = x[best];
          argmax[k] = best;
        }
      }
    }
  }
}

/** dx = dout routed to each window's argmax, 0 elsewhere (len = outputs; overwrites dx's first `inputs`). */
export function poolBackward(dout: Float32Array, argmax: Int32Array, len: number, dx: Float32Array, inputs: number): void {
  dx.fill(0, 0, inputs);
  for (let k = 0; k < len; k++) dx[argmax[k]] = dout[k];
}
