// Stochastic rounding of a power-of-two rescale: v · 2^s, rounded down after adding a
// uniform random offset below 2^-s, so that small steps survive on average (E = v · 2^s).
import { half } from "../prng";

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
  let dither = r <= 16 ? <i32>(half() >>> (16 - r)) : <i32>(half() << (r - 16));
  return (v + dither) >> r;
}
