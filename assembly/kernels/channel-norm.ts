// Per-channel normalisation of a conv layer (docs/model-format.md, "Convolutional nets",
// step 3 and 6): the dense L1 batch norm of norm.ts with the batch's positions as rows,
// z [rows][c] int32 with rows = batch·h·w (channels-last). Rows are not a power of two in
// general and their sums outgrow 32 bits, so sums are 64-bit and means are floor divisions
// by the row count (fdiv, shift-and-subtract). Batch statistics only: the grammar gives every
// conv layer at least 8 rows, so the dense layers' online rule is not needed.
import { RUNNING_SHIFT, HIDDEN_MAX, RATE_LOG2_BATCH, BIAS_EXTRA_SHIFT } from "../config";
import { product } from "../arith";
import { unitScale, biasValue, mulSmall, mulWide, shiftRound, storeDelta, widenFor, rescaleColumns } from "./norm";
import { stochasticShift } from "./round";

/** floor(s / n) for n >= 1, by restoring long division (no divide or multiply instruction). */
export function fdiv(s: i64, n: i32): i64 {
  let neg = s < 0;
  let a = <u64>(neg ? -s : s);
  let d = <u64>n;
  let q: u64 = 0, r: u64 = 0;
  for (let i = 63 - <i32>clz(a); i >= 0; i--) {
    r = (r << 1) | ((a >> <u64>i) & 1);
    if (r >= d) { r -= d; q |= <u64>1 << <u64>i; }
  }
  return neg ? (r != 0 ? -<i64>q - 1 : -<i64>q) : <i64>q;
}

/** A running statistic's step v · 2^-RUNNING_SHIFT rounded half up (the dense rule, norm.ts). */
// @ts-ignore: decorator
@inline function towards(v: i32): i32 {
  return (v + (1 << (RUNNING_SHIFT - 1))) >> RUNNING_SHIFT;
}

/** v narrowed to |v >> t| < 2^30 and the shift t it took. Returns v >> t; t in `narrowBy`. */
let narrowBy = 0;
// @ts-ignore: decorator
@inline function narrow(v: i64): i32 {
  let t = 0;
  let w = v;
  while (w >= (<i64>1 << 30) || w <= -(<i64>1 << 30)) { t++; w = v >> <i64>t; }
  narrowBy = t;
  return <i32>w;
}

/**
 * Normalises z [rows][c] channel by channel into uint8 activations act [rows][c] (F = 4,
 * ReLU, saturation at 255). `training`: batch statistics over the rows, which also move the
 * running ones (set them when `first`); otherwise the running ones. k [c] receives each
 * channel's packed scale for the backward pass.
 */
export function channelNormForward(
  z: usize, rows: i32, c: i32, outShift: i32, beta: usize, runMean: usize, runSpread: usize, k: usize,
  training: bool, first: bool, act: usize,
): void {
  let stride = <usize>c << 2;
  let zEnd = z + (<usize>product(rows, c) << 2);
  for (let j = 0; j < c; j++) {
    let col = z + (<usize>j << 2);
    let mean: i32, spread: i32;
    if (training) {
      let s: i64 = 0;
      for (let p = col; p < zEnd; p += stride) s += <i64>load<i32>(p);
      mean = <i32>fdiv(s, rows);
      let a: i64 = 0;
      for (let p = col; p < zEnd; p += stride) {
        let v = load<i32>(p) - mean;
        let m = v >> 31;
        a += <i64>((v ^ m) - m);
      }
      spread = <i32>fdiv(a, rows);
      let rm = load<i32>(runMean), rs = load<i32>(runSpread);
      if (first) { rm = mean; rs = spread; }
      else { rm += towards(mean - rm); rs += towards(spread - rs); }
      store<i32>(runMean, rm); store<i32>(runSpread, rs);
    } else {
      mean = load<i32>(runMean);
      spread = load<i32>(runSpread);
    }
    let scale = unitScale(spread);
    store<i32>(k, scale);
    let M = scale >> 8;
    let sh = outShift - (scale & 255);
    let bias = biasValue(load<i32>(beta));
    let ap = act + <usize>j;
    for (let p = col; p < zEnd; p += stride) {
      let y = shiftRound(mulSmall(load<i32>(p) - mean, M), sh) + bias;
      y = y < 0 ? 0 : (y > HIDDEN_MAX ? HIDDEN_MAX : y);
      store<u8>(ap, <u8>y);
      ap += <usize>c;
    }
    beta += 4; runMean += 4; runSpread += 4; k += 4;
  }
}

/**
 * Backward through the channel normalisation for d [rows][c] (value d · 2^exponent), per
 * channel j: bias −= sround(narrowed Σ d, exponent + F + 8 − lrShift − 5 + t); x̂ = act − β,
 * β the bias before the step rounded to the output's units (biasValue); mean = fdiv(Σ d, rows); cp = fdiv(Σ d·x̂, rows); v = d − mean −
 * ((x̂·cp + 2^(2F−1)) >> 2F) saturated at ±(2^26 − 1); then every channel is scaled by
 * M_j·2^(kmax − k_j − r) with the smallest r ≥ 0 that keeps |d| below 2^14. Returns the new
 * exponent, exponent − kmax + r.
 */
export function channelNormBackward(
  d: usize, rows: i32, c: i32, k: usize, beta: usize, exponent: i32, outShift: i32, lrShift: i32, act: usize,
): i32 {
  let stride = <usize>c << 2;
  let dEnd = d + (<usize>product(rows, c) << 2);
  let kMax = 0;
  for (let j = 0; j < c; j++) { let kj = load<i32>(k + (<usize>j << 2)) & 255; if (kj > kMax) kMax = kj; }
  let half: i64 = <i64>1 << <i64>(outShift - 1);
  let biasShift = exponent + outShift + BIAS_EXTRA_SHIFT - lrShift - RATE_LOG2_BATCH;
  let widest = 0;
  for (let j = 0; j < c; j++) {
    let col = d + (<usize>j << 2);
    let bp = beta + (<usize>j << 2);
    let stored = load<i32>(bp);
    let bias = biasValue(stored);
    let s: i64 = 0, cp: i64 = 0;
    let signs = 0;
    let o = act + <usize>j;
    for (let p = col; p < dEnd; p += stride) {
      let v = load<i32>(p);
      let x = <i32>load<u8>(o) - bias;
      s += <i64>v;
      signs += (x >> 31) | <i32>(x != 0); // sign(x̂)
      cp += mulWide(<i64>v, x);
      o += <usize>c;
    }
    let sn = narrow(s);
    store<i32>(bp, stored - stochasticShift(sn, biasShift + narrowBy));
    let mean = <i32>fdiv(s, rows);
    cp = fdiv(cp, rows);
    // The exact MAD-normalisation term 1.25·cp·(sign(x̂) − mean(sign(x̂))), as the dense rule.
    let g = cp + (cp >> 2);
    let gs = fdiv(mulWide(g, signs), rows);
    let tPos = (g - gs + half) >> <i64>outShift;
    let tNeg = (half - g - gs) >> <i64>outShift;
    let tZero = (half - gs) >> <i64>outShift;
    let big = 0;
    o = act + <usize>j;
    for (let p = col; p < dEnd; p += stride) {
      let xh = <i32>load<u8>(o) - bias;
      let w = <i64>(load<i32>(p) - mean) - (xh > 0 ? tPos : (xh < 0 ? tNeg : tZero));
      let v = storeDelta(p, w);
      if (v > big) big = v;
      o += <usize>c;
    }
    widest = widenFor(widest, big, k + (<usize>j << 2), kMax);
  }
  return rescaleColumns(d, dEnd, stride, k, c, kMax, widest, exponent);
}
