// L1 batch normalisation with power-of-two scales, learned integer bias, ReLU.
// For unit j over the batch: mean = sum(z) >> log2B, spread = sum|z - mean| >> log2B,
// k = nearest log2(1.25 spread) (count-leading-zeros), y = (z - mean) · 2^(F - k) + beta.
// Hidden layers store uint8 max(0, min(255, y)); the output layer keeps int32 y in place.
import { RUNNING_SHIFT, HIDDEN_MAX, DELTA_BITS } from "../config";
import { stochasticShift } from "./round";

/**
 * The power-of-two scale of a unit: the exponent nearest to log2(1.25 · spread), 1.25 being
 * sqrt(pi/2), the ratio of standard to mean absolute deviation for a Gaussian.
 */
// @ts-ignore: decorator
@inline export function scaleExponent(spread: i32): i32 {
  let v = spread + (spread >> 2);
  if (v <= 1) return 0;
  let f = 31 - clz(v);
  return f + ((v >> (f - 1)) & 1);
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
 * k [n] receives each unit's shift exponent for the backward pass.
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
    let kj = scaleExponent(spread);
    store<i32>(k, kj);
    let sh = outShift - kj;
    let bias = load<i32>(beta);
    if (act != 0) {
      let ap = act + <usize>j;
      for (let p = col; p < zEnd; p += stride) {
        let y = shiftRound(load<i32>(p) - mean, sh) + bias;
        y = y < 0 ? 0 : (y > HIDDEN_MAX ? HIDDEN_MAX : y);
        store<u8>(ap, <u8>y);
        ap += <usize>n;
      }
    } else {
      for (let p = col; p < zEnd; p += stride) store<i32>(p, shiftRound(load<i32>(p) - mean, sh) + bias);
    }
    beta += 4; runMean += 4; runSpread += 4; k += 4;
  }
}

/**
 * Backward through normalisation, for the error d [batch][n] w.r.t. the layer's outputs
 * (block floating point: value = d · 2^exponent). Updates the bias (stochastic rounding),
 * then maps d to the error w.r.t. z: subtract its batch mean (the mean's gradient), scale
 * unit j by 2^-k_j, and renormalise all units to one exponent with mantissas below
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
  for (let j = 0; j < n; j++) { let kj = load<i32>(k + (<usize>j << 2)); if (kj > kMax) kMax = kj; }

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
    let big = 0;
    for (let p = col; p < dEnd; p += stride) {
      let v = load<i32>(p) - mean;
      let m = v >> 31;
      big |= (v ^ m) - m;
    }
    if (big != 0) { // an all-zero unit needs no room
      let width = (32 - clz(big)) + kMax - load<i32>(k + (<usize>j << 2));
      if (width > widest) widest = width;
    }
  }
  let r = widest - DELTA_BITS;
  if (r < 0) r = 0;
  for (let j = 0; j < n; j++) {
    let col = d + (<usize>j << 2);
    let mean = load<i32>(means + (<usize>j << 2));
    let sh = kMax - load<i32>(k + (<usize>j << 2)) - r;
    for (let p = col; p < dEnd; p += stride) store<i32>(p, shiftRound(load<i32>(p) - mean, sh));
  }
  return exponent - kMax + r;
}
