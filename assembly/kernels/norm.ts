// L1 batch normalisation (scale 2^-k · M, M a 4-bit mantissa), learned integer bias, ReLU.
// For unit j over the rows (a dense layer's samples; a conv layer's batch positions, its units
// the channels): mean = fdiv(sum(z), rows), spread = fdiv(sum|z - mean|, rows) (64-bit sums;
// for rows = 2^b the floor division is >> b),
// 1.25·spread = 2^f · (1 + t/8 + ...), y = (z - mean) · M_t · 2^(F - f - 4) + beta with the
// 4-bit mantissa M_t ~ 16 / (1 + (t + 0.5)/8) applied by shift-and-add (scale within 9 %).
// Hidden layers store uint8 max(0, min(255, y)); the output layer keeps int32 y in place.
import { HIDDEN_MAX, DELTA_BITS, DELTA_CAP, SCALE_MANTISSAS, BIAS_EXTRA_SHIFT, STAT_EXTRA_SHIFT } from "../config";
import { stochasticShift } from "./round";
import { fdiv } from "../arith";

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

/**
 * A running mean's step (v = new value - running value) · 2^-r, rounded half up: flooring
 * would pull every running statistic 2^(r-1) low at equilibrium (the spread of a 10-output
 * layer, tens of units, to nothing under a long calibration average).
 */
function towards(v: i32, r: i32): i32 { // out of line, as statValue and biasValue: once per unit
  return r == 0 ? v : (v + (1 << (r - 1))) >> r;
}

/** v · 2^s rounding half up, for any s (a unit far below the widest one can need r > 31). */
// @ts-ignore: decorator
@inline function shiftRoundWide(v: i32, s: i32): i32 {
  if (s >= 0) return v << s;
  let r = -s;
  if (r > 32) return 0; // |v| < 2^31 <= 2^(r - 2): rounds to 0
  return <i32>((<i64>v + (<i64>1 << <i64>(r - 1))) >> <i64>r);
}

/** The bias as the forward adds it: the stored bias (BIAS_EXTRA_SHIFT bits finer than the
 * layer's output) rounded half up to the output's units. */
function biasValue(stored: i32): i32 {
  return (stored + (1 << (BIAS_EXTRA_SHIFT - 1))) >> BIAS_EXTRA_SHIFT;
}

/** A running statistic as the normalisation uses it: the stored value (STAT_EXTRA_SHIFT bits
 * finer than z) rounded half up to z's units. */
function statValue(stored: i32): i32 {
  return (stored + (1 << (STAT_EXTRA_SHIFT - 1))) >> STAT_EXTRA_SHIFT;
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
 * Normalises z [rows][n] (int32) unit by unit. `statShift` >= 0 (training, calibration):
 * batch statistics, which also move the running ones by 2^-statShift (0, the first step: set
 * them); statShift < 0 (inference): the running ones. `online` >= 0: the running statistics, moved by 2^-online first, normalise. The running
 * statistics are stored STAT_EXTRA_SHIFT bits finer than z and used rounded (statValue).
 * k [n] receives each unit's packed scale (unitScale) for the backward pass.
 * `act` != 0: hidden layer, uint8 outputs written there; else scores stay in z.
 */
export function normForward(
  z: usize, n: i32, rows: i32, outShift: i32,
  beta: usize, runMean: usize, runSpread: usize, k: usize,
  act: usize, online: i32, statShift: i32,
): void {
  let stride = <usize>n << 2;
  let zEnd = z;
  for (let b = 0; b < rows; b++) zEnd += stride;
  for (let j = 0; j < n; j++) {
    let col = z + (<usize>j << 2);
    let rm = load<i32>(runMean), rs = load<i32>(runSpread);
    let mean = 0, spread = 0;
    if (statShift >= 0) {
      // Batch statistics; online, the spread is taken about the running mean before this
      // step, and the running statistics, moved by 2^-online towards the batch's, normalise.
      let s: i64 = 0;
      for (let p = col; p < zEnd; p += stride) s += <i64>load<i32>(p);
      mean = <i32>fdiv(s, rows);
      let about = online < 0 ? mean : statValue(rm);
      let a: i64 = 0;
      for (let p = col; p < zEnd; p += stride) {
        let v = load<i32>(p) - about;
        let m = v >> 31;
        a += <i64>((v ^ m) - m);
      }
      spread = <i32>fdiv(a, rows);
      let r = online >= 0 ? online : statShift; // r = 0: a copy
      rm += towards((mean << STAT_EXTRA_SHIFT) - rm, r);
      rs += towards((spread << STAT_EXTRA_SHIFT) - rs, r);
      store<i32>(runMean, rm); store<i32>(runSpread, rs);
    }
    if (statShift < 0 || online >= 0) { mean = statValue(rm); spread = statValue(rs); }
    let scale = unitScale(spread);
    store<i32>(k, scale);
    let M = scale >> 8;
    let sh = outShift - (scale & 255);
    let bias = biasValue(load<i32>(beta));
    let ap = act + <usize>j;
    for (let p = col; p < zEnd; p += stride) {
      let y = shiftRound(mulSmall(load<i32>(p) - mean, M), sh) + bias;
      if (act != 0) {
        store<u8>(ap, <u8>(y < 0 ? 0 : (y > HIDDEN_MAX ? HIDDEN_MAX : y)));
        ap += <usize>n;
      } else store<i32>(p, y);
    }
    beta += 4; runMean += 4; runSpread += 4; k += 4;
  }
}

/** v · 2^s (s > 0 saturating at ±DELTA_CAP, s < 0 rounding down): a stored running mean moved to another exponent. */
// @ts-ignore: decorator
@inline function alignTo(v: i32, s: i32): i32 {
  if (s <= 0) return s < -31 ? (v >> 31) : v >> -s;
  if (s > 26) return v == 0 ? 0 : (v > 0 ? <i32>DELTA_CAP : -<i32>DELTA_CAP);
  let limit = <i32>DELTA_CAP >> s;
  return v > limit ? <i32>DELTA_CAP : (v < -limit ? -<i32>DELTA_CAP : v << s);
}

/** v · x for an int32 x, by shift-and-add over the set bits of |x| (no multiply instruction). */
// @ts-ignore: decorator
@inline export function mulWide(v: i64, x: i32): i64 {
  let m = x >> 31;
  let a = <u32>((x ^ m) - m);
  let sum: i64 = 0;
  while (a != 0) { sum += v << <i64>ctz(a); a &= a - 1; }
  return m != 0 ? -sum : sum;
}

/** mulWide where it is not worth its inlined copy (once per unit; per value only online). */
function mulWideOnce(v: i64, x: i32): i64 { return mulWide(v, x); }

/** d − mean − term saturated at ±DELTA_CAP and stored at p; returns its magnitude. */
// @ts-ignore: decorator
@inline export function storeDelta(p: usize, w: i64): i32 {
  let v = w > DELTA_CAP ? <i32>DELTA_CAP : (w < -DELTA_CAP ? -<i32>DELTA_CAP : <i32>w);
  store<i32>(p, v);
  let m = v >> 31;
  return (v ^ m) - m;
}

/** The widest of `widest` and the bits a unit's largest |d| (`big`) needs once scaled by
 * M·2^(kmax − k), with M and k packed at kAddr. */
// @ts-ignore: decorator
@inline export function widenFor(widest: i32, big: i32, kAddr: usize, kMax: i32): i32 {
  if (big == 0) return widest; // an all-zero unit needs no room
  let kw = load<i32>(kAddr);
  let width = (32 - clz(mulSmall(big, kw >> 8))) + kMax - (kw & 255);
  return width > widest ? width : widest;
}

/** Scales every unit's column of d by M_j·2^(kmax − k_j − r), with the smallest r ≥ 0 that
 * keeps |d| below 2^DELTA_BITS; returns the new exponent. */
// @ts-ignore: decorator
@inline export function rescaleColumns(d: usize, dEnd: usize, stride: usize, k: usize, n: i32, kMax: i32, widest: i32, exponent: i32): i32 {
  let r = widest - DELTA_BITS;
  if (r < 0) r = 0;
  for (let j = 0; j < n; j++) {
    let col = d + (<usize>j << 2);
    let kw = load<i32>(k + (<usize>j << 2));
    let M = kw >> 8;
    let sh = kMax - (kw & 255) - r;
    for (let p = col; p < dEnd; p += stride) store<i32>(p, shiftRoundWide(mulSmall(load<i32>(p), M), sh));
  }
  return exponent - kMax + r;
}

/**
 * Backward through normalisation, for the error d [rows][n] w.r.t. the layer's outputs
 * (block floating point: value = d · 2^exponent; rows: the batch, or a conv layer's batch
 * positions). Per unit j: updates the bias (stochastic rounding), then forms the exact
 * gradient of the MAD normalisation w.r.t. the normalised value, v = d - mean(d) - 1.25
 * (sign(x̂) - mean(sign(x̂))) mean(d · x̂) with means over the rows by fdiv (online: running
 * means of mean(d) and mean(d · x̂) in the variance form's d - gm - x̂ · gc), with x̂ = out - bias (the normalised value in units
 * of 2^-outShift; hidden layers read it from their clamped uint8 activations, so it stops at
 * the ReLU's bounds), scales unit j by 2^-k_j · M_j/16 and renormalises all units to one
 * exponent with mantissas below 2^DELTA_BITS. Returns the new exponent.
 * `out`: the uint8 activations (hidden) or a copy of the int32 scores (output layer).
 */
export function normBackward(
  d: usize, n: i32, rows: i32, log2Batch: i32, k: usize, beta: usize,
  exponent: i32, outShift: i32, lrShift: i32, out: usize, hidden: bool,
  grad: usize, online: i32,
): i32 {
  let stride = <usize>n << 2;
  let dEnd = d;
  for (let b = 0; b < rows; b++) dEnd += stride;
  let kMax = 0;
  for (let j = 0; j < n; j++) { let kj = load<i32>(k + (<usize>j << 2)) & 255; if (kj > kMax) kMax = kj; }
  let outStride: usize = hidden ? <usize>n : stride;
  let half: i64 = <i64>1 << <i64>(outShift - 1);
  // Online: the running means of the error terms, stored at exponent gExp, move to this step's.
  let gExp = grad + (<usize>n << 3);
  let align = online > 0 ? load<i32>(gExp) - exponent : 0;
  if (online >= 0) store<i32>(gExp, exponent);

  // Bias step and the centred, projected error; the widest mantissa after scaling decides the
  // renormalisation.
  let biasShift = exponent + outShift + BIAS_EXTRA_SHIFT - lrShift - log2Batch;
  let widest = 0;
  for (let j = 0; j < n; j++) {
    let col = d + (<usize>j << 2);
    let op = out + (hidden ? <usize>j : <usize>j << 2);
    let bp = beta + (<usize>j << 2);
    let stored = load<i32>(bp);
    let bias = biasValue(stored);
    let s: i64 = 0, c: i64 = 0;
    let signs = 0;
    let o = op;
    for (let p = col; p < dEnd; p += stride) {
      let v = load<i32>(p);
      let x = (hidden ? <i32>load<u8>(o) : load<i32>(o)) - bias;
      s += <i64>v;
      signs += (x >> 31) | <i32>(x != 0); // sign(x̂)
      if (v != 0) c += mulWide(<i64>v, x); // masked: no work
      o += outStride;
    }
    // The bias step's sum narrowed to |s >> t| < 2^30 (a conv layer sums B·H·W rows).
    let t = 0;
    while (<u64>((s >> <i64>t) + ((<i64>1 << 30) - 1)) >= (<u64>1 << 31) - 1) t++; // one unsigned range test
    store<i32>(bp, stored - stochasticShift(<i32>(s >> <i64>t), biasShift + t));
    let mean = <i32>fdiv(s, rows);
    c = fdiv(c, rows);
    let tPos: i64 = 0, tNeg: i64 = 0, tZero: i64 = 0;
    if (online >= 0) {
      let gm = grad + (<usize>j << 2), gc = gm + (<usize>n << 2);
      let m0 = alignTo(load<i32>(gm), align), c0 = alignTo(load<i32>(gc), align);
      let cNow = c >> <i64>outShift;
      let c32 = cNow > DELTA_CAP ? <i32>DELTA_CAP : (cNow < -DELTA_CAP ? -<i32>DELTA_CAP : <i32>cNow);
      m0 += towards(mean - m0, online);
      c0 += towards(c32 - c0, online);
      store<i32>(gm, m0); store<i32>(gc, c0);
      mean = m0; c = <i64>c0;
    } else {
      // The MAD scale's term 1.25·c·(sign(x̂) − mean_b(sign(x̂))), in units of 2^-F, rounded
      // to d's units once per sign value.
      let g = c + (c >> 2);
      let gs = fdiv(mulWideOnce(g, signs), rows);
      tPos = (g - gs + half) >> <i64>outShift;
      tNeg = (half - g - gs) >> <i64>outShift;
      tZero = (half - gs) >> <i64>outShift;
    }
    let big = 0; // widest |v| of the unit
    o = op;
    for (let p = col; p < dEnd; p += stride) {
      let x = (hidden ? <i32>load<u8>(o) : load<i32>(o)) - bias;
      let w = <i64>(load<i32>(p) - mean);
      if (online >= 0) { if (c != 0) w -= (mulWideOnce(c, x) + half) >> <i64>outShift; }
      else w -= x > 0 ? tPos : (x < 0 ? tNeg : tZero);
      let v = storeDelta(p, w);
      if (v > big) big = v;
      o += outStride;
    }
    widest = widenFor(widest, big, k + (<usize>j << 2), kMax);
  }
  return rescaleColumns(d, dEnd, stride, k, n, kMax, widest, exponent);
}
