// L1 batch normalisation (scale 2^-k · M, M a 4-bit mantissa), learned integer bias, ReLU.
// For unit j over the batch: mean = sum(z) >> log2B, spread = sum|z - mean| >> log2B,
// 1.25·spread = 2^f · (1 + t/8 + ...), y = (z - mean) · M_t · 2^(F - f - 4) + beta with the
// 4-bit mantissa M_t ~ 16 / (1 + (t + 0.5)/8) applied by shift-and-add (scale within 9 %).
// Hidden layers store uint8 max(0, min(255, y)); the output layer keeps int32 y in place.
import { RUNNING_SHIFT, HIDDEN_MAX, DELTA_BITS, SCALE_MANTISSAS } from "../config";
import { stochasticShift } from "./round";

/**
 * The scale of a unit, 1/(1.25·spread) (1.25 = sqrt(pi/2), the ratio of standard to mean
 * absolute deviation for a Gaussian) as M · 2^-k: k = f + 4 with f = floor(log2 v),
 * v = spread + spread>>2, and M from the 3 bits of v below its leading one. Packed k | M << 8;
 * 4 | 16 << 8 when v <= 1.
 */
// @ts-ignore: decorator
@inline export function unitScale(spread: i32): i32 {
  let v = spread + (spread >> 2);
  if (v <= 1) return 4 | (16 << 8);
  let f = 31 - clz(v);
  let t = f >= 3 ? (v >> (f - 3)) & 7 : (v << (3 - f)) & 7;
  return (f + 4) | (<i32>((SCALE_MANTISSAS >> (<u32>t << 2)) & 15) << 8);
}

/** v · M for 0 <= M < 32 (a scale mantissa), by shift-and-add over its set bits. */
// @ts-ignore: decorator
@inline export function mulSmall(v: i32, M: i32): i32 {
  let sum = 0;
  while (M != 0) { sum += v << ctz(M); M &= M - 1; }
  return sum;
}

/** v · 2^s, rounding half up when s < 0. */
// @ts-ignore: decorator
@inline export function shiftRound(v: i32, s: i32): i32 {
  if (s >= 0) return v << s;
  let r = -s;
  return (v + (1 << (r - 1))) >> r;
}

/**
 * Normalises z [batch][n] (int32) unit by unit. `training`: batch statistics, which also
 * move the running ones (or set them on the first step); otherwise the running ones.
 * k [n] receives each unit's packed scale (unitScale) for the backward pass.
 * `act` != 0: hidden layer, uint8 outputs written there; else scores stay in z.
 */
export function normForward(
  z: usize, n: i32, batch: i32, log2Batch: i32, outShift: i32,
  beta: usize, runMean: usize, runSpread: usize, k: usize,
  training: bool, first: bool, act: usize,
): void {
  let stride = <usize>n << 2;
  let zEnd = z;
  for (let b = 0; b < batch; b++) zEnd += stride;
  for (let j = 0; j < n; j++) {
    let col = z + (<usize>j << 2);
    let mean: i32, spread: i32;
    if (training) {
      let s = 0;
      for (let p = col; p < zEnd; p += stride) s += load<i32>(p);
      mean = s >> log2Batch;
      let a = 0;
      for (let p = col; p < zEnd; p += stride) {
        let v = load<i32>(p) - mean;
        let m = v >> 31;
        a += (v ^ m) - m;
      }
      spread = a >> log2Batch;
      let rm = load<i32>(runMean), rs = load<i32>(runSpread);
      if (first) { rm = mean; rs = spread; }
      else {
        rm += (mean - rm) >> RUNNING_SHIFT;
        rs += (spread - rs) >> RUNNING_SHIFT;
      }
      store<i32>(runMean, rm); store<i32>(runSpread, rs);
    } else {
      mean = load<i32>(runMean);
      spread = load<i32>(runSpread);
    }
    let scale = unitScale(spread);
    store<i32>(k, scale);
    let M = scale >> 8;
    let sh = outShift - (scale & 255);
    let bias = load<i32>(beta);
    if (act != 0) {
      let ap = act + <usize>j;
      for (let p = col; p < zEnd; p += stride) {
        let y = shiftRound(mulSmall(load<i32>(p) - mean, M), sh) + bias;
        y = y < 0 ? 0 : (y > HIDDEN_MAX ? HIDDEN_MAX : y);
        store<u8>(ap, <u8>y);
        ap += <usize>n;
      }
    } else {
      for (let p = col; p < zEnd; p += stride) store<i32>(p, shiftRound(mulSmall(load<i32>(p) - mean, M), sh) + bias);
    }
    beta += 4; runMean += 4; runSpread += 4; k += 4;
  }
}

/**
 * Backward through normalisation, for the error d [batch][n] w.r.t. the layer's outputs
 * (block floating point: value = d · 2^exponent). Updates the bias (stochastic rounding),
 * then maps d to the error w.r.t. z: subtract its batch mean (the mean's gradient), scale
 * unit j by its scale 2^-k_j · M_j/16, and renormalise all units to one exponent with mantissas below
 * 2^DELTA_BITS (|d| <= 2^DELTA_BITS after rounding). Returns the new exponent. The spread's own gradient term, which needs
 * products, is dropped (straight-through).
 */
export function normBackward(
  d: usize, n: i32, batch: i32, log2Batch: i32, k: usize, beta: usize,
  exponent: i32, outShift: i32, lrShift: i32, means: usize,
): i32 {
  let stride = <usize>n << 2;
  let dEnd = d;
  for (let b = 0; b < batch; b++) dEnd += stride;
  let kMax = 0;
  for (let j = 0; j < n; j++) { let kj = load<i32>(k + (<usize>j << 2)) & 255; if (kj > kMax) kMax = kj; }

  // Bias step and per-unit mean; the widest mantissa after scaling decides the renormalisation.
  let biasShift = exponent + outShift - lrShift - log2Batch;
  let widest = 0;
  for (let j = 0; j < n; j++) {
    let col = d + (<usize>j << 2);
    let s = 0;
    for (let p = col; p < dEnd; p += stride) s += load<i32>(p);
    let bp = beta + (<usize>j << 2);
    store<i32>(bp, load<i32>(bp) - stochasticShift(s, biasShift));
    let mean = s >> log2Batch;
    store<i32>(means + (<usize>j << 2), mean);
    let big = 0; // widest |d - mean| of the unit
    for (let p = col; p < dEnd; p += stride) {
      let v = load<i32>(p) - mean;
      let m = v >> 31;
      v = (v ^ m) - m;
      if (v > big) big = v;
    }
    if (big != 0) { // an all-zero unit needs no room
      let kw = load<i32>(k + (<usize>j << 2));
      let width = (32 - clz(mulSmall(big, kw >> 8))) + kMax - (kw & 255);
      if (width > widest) widest = width;
    }
  }
  let r = widest - DELTA_BITS;
  if (r < 0) r = 0;
  for (let j = 0; j < n; j++) {
    let col = d + (<usize>j << 2);
    let mean = load<i32>(means + (<usize>j << 2));
    let kw = load<i32>(k + (<usize>j << 2));
    let M = kw >> 8;
    let sh = kMax - (kw & 255) - r;
    for (let p = col; p < dEnd; p += stride) store<i32>(p, shiftRound(mulSmall(load<i32>(p) - mean, M), sh));
  }
  return exponent - kMax + r;
}
