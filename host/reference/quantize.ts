/**
 * Weight sampling (binary / ternary connect) and quantized backprop's stochastic
 * power-of-two rounding. Latent weights are in W0 units, i.e. in [-1, 1].
 */
import type { Xorshift128 } from "./prng.ts";

const U32_TO_UNIT = 2.3283064365386963e-10; // 2^-32

/*
 * Sampling draws one 32-bit xorshift128 output per weight, stepped inline (state copied to
 * locals and stored back) and compared branch-free: r = output >>> 2 (30 bits) against
 * T = floor(p * 2^30), decision = r < T, so the probability is floor(p * 2^30) / 2^30
 * (within 2^-30 of p). Random branches would mispredict half the time.
 */

/** BC: out[k] = +1 with probability clip((w+1)/2, 0, 1) (to 2^-30), else -1. One draw per weight. */
export function sampleBinary(latent: Float32Array, out: Float32Array, rng: Xorshift128): void {
  const st = rng.s;
  let x = st[0], y = st[1], z = st[2], w = st[3];
  const n = latent.length;
  for (let k = 0; k < n; k++) {
    const t = x ^ (x << 11);
    x = y;
    y = z;
    z = w;
    w = w ^ (w >>> 19) ^ t ^ (t >>> 8);
    const v = latent[k];
    const c = v > 1 ? 1 : v < -1 ? -1 : v; // predictable: latent weights are kept in [-1, 1]
    const T = ((c + 1) * 536870912) | 0; // (w+1)/2 * 2^30
    const mask = ((w >>> 2) - T) >> 31; // -1 if r < T
    out[k] = -2 * mask - 1;
  }
  st[0] = x; st[1] = y; st[2] = z; st[3] = w;
}

/** TC: out[k] = sign(w) with probability min(|w|, 1) (to 2^-30), else 0. One draw per weight. */
export function sampleTernary(latent: Float32Array, out: Float32Array, rng: Xorshift128): void {
  const st = rng.s;
  let x = st[0], y = st[1], z = st[2], w = st[3];
  const n = latent.length;
  const bits = new Int32Array(latent.buffer, latent.byteOffset, n);
  for (let k = 0; k < n; k++) {
    const t = x ^ (x << 11);
    x = y;
    y = z;
    z = w;
    w = w ^ (w >>> 19) ^ t ^ (t >>> 8);
    const a = Math.abs(latent[k]);
    const T = ((a < 1 ? a : 1) * 1073741824) | 0; // |w| * 2^30
    const nz = -(((w >>> 2) - T) >> 31); // 1 if r < T
    const sb = bits[k] >> 31; // -1 for negative w
    out[k] = (nz ^ sb) - sb;
  }
  st[0] = x; st[1] = y; st[2] = z; st[3] = w;
}

/** Deterministic BC weights: sign(w) with w >= 0 -> +1. */
export function deterministicBinary(latent: Float32Array, out: Float32Array): void {
  for (let k = 0; k < latent.length; k++) out[k] = latent[k] >= 0 ? 1 : -1;
}

/** Deterministic TC weights: sign(w) if |w| > 0.5, else 0. */
export function deterministicTernary(latent: Float32Array, out: Float32Array): void {
  for (let k = 0; k < latent.length; k++) {
    const w = latent[k];
    out[k] = w > 0.5 ? 1 : w < -0.5 ? -1 : 0;
  }
}

/**
 * The QBP exponent window for a layer: exponents [hi - window + 1, hi], with hi = 0 for
 * the input layer (pixels / 256 < 1) and hi = 2 for hidden activations (BN-normalised,
 * so |x| >= 4 is clipped to 4).
 */
export function qbpWindow(layer: number, window: number): { lo: number; hi: number } {
  const hi = layer === 0 ? 0 : 2;
  return { lo: hi - window + 1, hi };
}

// Scratch for reading float32 bits of a scalar.
const F32 = new Float32Array(1);
const I32 = new Int32Array(F32.buffer);

/**
 * Stochastic power-of-two rounding of one float32 value x (exponent window [lo, hi]):
 * - 0 -> 0;
 * - |x| >= 2^hi -> sign(x) 2^hi (clipped, the only biased case);
 * - 2^lo <= |x| < 2^hi, j = floor(log2|x|): sign(x) 2^(j+1) with probability |x|/2^j - 1,
 *   else sign(x) 2^j (exact: the probability is the float32 mantissa over 2^23);
 * - |x| < 2^lo: sign(x) 2^lo with probability |x|/2^lo, else 0.
 * Unbiased (E[Q(x)] = x) whenever |x| <= 2^hi.
 */
export function qbpRound(x: number, lo: number, hi: number, rng: Xorshift128): number {
  F32[0] = x;
  return qbpRoundBits(I32[0], lo, hi, rng);
}

function qbpRoundBits(bits: number, lo: number, hi: number, rng: Xorshift128): number {
  const mag = bits & 0x7fffffff;
  if (mag === 0) return 0;
  const neg = bits < 0;
  const e = (mag >>> 23) - 127;
  let k: number;
  if (e >= hi) {
    k = hi;
  } else if (e >= lo) {
    const mant = mag & 0x7fffff;
    k = e + (((rng.nextU32() >>> 9) - mant) >>> 31);
  } else {
    F32[0] = 0;
    I32[0] = mag;
    const ratio = F32[0] * Math.pow(2, -lo);
    if (rng.nextU32() * U32_TO_UNIT < ratio) k = lo;
    else return 0;
  }
  const v = Math.pow(2, k);
  return neg ? -v : v;
}

/**
 * dst[k] = qbpRound(src[k]) for k < n. `src` and `dst` may not overlap.
 * Uses a precomputed table of the window's powers of two (no Math.pow per element).
 */
export function qbpRoundArray(
  src: Float32Array, dst: Float32Array, n: number, lo: number, hi: number, rng: Xorshift128,
): void {
  const bits = new Int32Array(src.buffer, src.byteOffset, src.length);
  const pow = powTable(lo, hi);
  const scaleLo = Math.pow(2, -lo);
  for (let k = 0; k < n; k++) {
    const b = bits[k];
    const mag = b & 0x7fffffff;
    if (mag === 0) {
      dst[k] = 0;
      continue;
    }
    const e = (mag >>> 23) - 127;
    let v: number;
    if (e >= hi) {
      v = pow[hi - lo];
    } else if (e >= lo) {
      const up = ((rng.nextU32() >>> 9) - (mag & 0x7fffff)) >>> 31; // 1 with probability mantissa / 2^23
      v = pow[e + up - lo];
    } else {
      const ax = Math.abs(src[k]);
      v = rng.nextU32() * U32_TO_UNIT < ax * scaleLo ? pow[0] : 0;
    }
    dst[k] = b < 0 ? 0 - v : v; // 0 - 0 is +0
  }
}

const powCache = new Map<number, Float64Array>();

function powTable(lo: number, hi: number): Float64Array {
  const key = lo * 4096 + hi;
  let t = powCache.get(key);
  if (!t) {
    t = new Float64Array(hi - lo + 1);
    for (let k = lo; k <= hi; k++) t[k - lo] = Math.pow(2, k);
    powCache.set(key, t);
  }
  return t;
}
