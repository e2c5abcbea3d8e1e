// Stochastic rounding of a power-of-two rescale: v · 2^s, rounded down after adding a
// uniform random offset below 2^-s, so that small steps survive on average (E = v · 2^s).
import { half } from "../prng";

/**
 * The common case of stochasticShift, a right shift by r = 1..16 bits: (v + dither) >> r with
 * dither the top r bits of the 16-bit random `h` (`cut` = 16 - r, hoisted by callers in loops).
 */
// @ts-ignore: decorator
@inline export function shiftDithered(v: i32, h: u32, cut: i32, r: i32): i32 {
  return (v + <i32>(h >>> cut)) >> r;
}

export function stochasticShift(v: i32, s: i32): i32 {
  if (v == 0) return 0;
  if (s >= 0) {
    let limit = s > 30 ? 0 : 0x3FFFFFFF >> s; // saturate instead of wrapping
    if (v > limit) return 0x3FFFFFFF;
    if (v < -limit) return -0x3FFFFFFF;
    return v << s;
  }
  let r = -s;
  // Beyond 30 bits, round in two unbiased stages (needs |v| < 2^30).
  if (r > 30) { v = stochasticShift(v, 30 - r); r = 30; if (v == 0) return 0; }
  let h = half();
  return r <= 16 ? shiftDithered(v, h, 16 - r, r) : (v + <i32>(h << (r - 16))) >> r;
}
