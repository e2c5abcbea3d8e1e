/**
 * A deliberately naive float64 conv net (conv 3x3 "same" / 2x2 max pool / dense, each weight
 * layer followed by batch norm with batch statistics and, but for the last, ReLU; squared
 * hinge loss), written from docs/model-format.md independently of host/reference/, for the
 * gradient checks. Images are indexed through pixel(b, y, x, c) (channels-last), weights
 * through conv [ky][kx][ci][co] and dense [input][output].
 */
import type { NetLayer, Shape } from "../../host/module/conv-spec.ts";
import { EPS } from "./oracle.ts";

export interface OracleConvNet {
  input: Shape;
  layers: NetLayer[];
  /** Per weight layer, in order. */
  weights: Float64Array[];
  betas: Float64Array[];
}

/** A batch of images: t[b][y][x][c]. */
type Tensor = number[][][][];

function normalise(z: Tensor, beta: Float64Array): Tensor {
  const n = z.length, h = z[0].length, w = z[0][0].length, c = z[0][0][0].length;
  const out: Tensor = z.map((s) => s.map((r) => r.map((p) => p.slice())));
  for (let ch = 0; ch < c; ch++) {
    const vals: number[] = [];
    for (let b = 0; b < n; b++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) vals.push(z[b][y][x][ch]);
    const mean = vals.reduce((a, v) => a + v, 0) / vals.length;
    const v = vals.reduce((a, q) => a + (q - mean) ** 2, 0) / vals.length;
    for (let b = 0; b < n; b++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      out[b][y][x][ch] = (z[b][y][x][ch] - mean) / Math.sqrt(v + EPS) + beta[ch];
    }
  }
  return out;
}

/** Batch-mean squared hinge loss of n samples (pixels / 256). */
export function oracleConvLoss(net: OracleConvNet, images: Uint8Array, labels: Uint8Array, n: number): number {
  let [c, h, w] = net.input;
  let a: Tensor = [];
  for (let b = 0; b < n; b++) {
    a.push(Array.from({ length: h }, (_, y) => Array.from({ length: w }, (_, x) =>
      Array.from({ length: c }, (_, ch) => images[b * h * w * c + (y * w + x) * c + ch] / 256))));
  }
  let wl = 0;
  net.layers.forEach((layer, k) => {
    const last = k === net.layers.length - 1;
    if (layer.kind === "pool") {
      a = a.map((s) => Array.from({ length: h / 2 }, (_, y) => Array.from({ length: w / 2 }, (_, x) =>
        Array.from({ length: c }, (_, ch) =>
          Math.max(s[2 * y][2 * x][ch], s[2 * y][2 * x + 1][ch], s[2 * y + 1][2 * x][ch], s[2 * y + 1][2 * x + 1][ch])))));
      h /= 2;
      w /= 2;
      return;
    }
    const W = net.weights[wl];
    let z: Tensor;
    if (layer.kind === "conv") {
      const co = layer.channels;
      z = a.map((s) => Array.from({ length: h }, (_, y) => Array.from({ length: w }, (_, x) =>
        Array.from({ length: co }, (_, o) => {
          let sum = 0;
          for (let ky = 0; ky < 3; ky++) for (let kx = 0; kx < 3; kx++) {
            const iy = y + ky - 1, ix = x + kx - 1;
            if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue; // zero padding
            for (let ci = 0; ci < c; ci++) sum += s[iy][ix][ci] * W[((ky * 3 + kx) * c + ci) * co + o];
          }
          return sum;
        }))));
      c = co;
    } else {
      const flat = a.map((s) => s.flat(2)); // (y, x, c) order: the flatten of channels-last
      const outs = layer.units;
      z = flat.map((v) => [[Array.from({ length: outs }, (_, j) => v.reduce((acc, x, i) => acc + x * W[i * outs + j], 0))]]);
      c = outs;
      h = 1;
      w = 1;
    }
    const y = normalise(z, net.betas[wl]);
    a = last ? y : y.map((s) => s.map((r) => r.map((p) => p.map((v) => Math.max(0, v)))));
    wl++;
  });
  let loss = 0;
  for (let b = 0; b < n; b++) {
    const scores = a[b][0][0];
    scores.forEach((v, k) => {
      const t = k === labels[b] ? 1 : -1;
      loss += Math.max(0, 1 - t * v) ** 2;
    });
  }
  return loss / n;
}
