// Self-adapting step size (a per-layer, shift-only AdaMax): the update of a layer is scaled
// by 2^-V, V a running maximum of log2 max|error| that decays slowly, so the step follows
// the gradient's own scale whatever the widths, the batch or the normalisation gain.
import { ADAPT_DECAY, ADAPT_NONE } from "../config";

/** Bit width of the largest |v| among n int32 at p (0 when all are zero). */
export function errorWidth(p: usize, n: i32): i32 {
  let top = 0;
  let end = p + (<usize>n << 2);
  while (p < end) {
    let v = load<i32>(p);
    let m = v >> 31;
    top |= (v ^ m) - m;
    p += 4;
  }
  return 32 - clz(top);
}

/**
 * Moves the running level at `at` (Q16 log2 of max|error|) for an error tensor of block
 * exponent `exponent` whose widest mantissa has `width` bits: V = max(V - decay, exponent +
 * width), unchanged but decayed when the tensor is all zero. Returns ceil(V).
 */
export function adaptLevel(at: usize, exponent: i32, width: i32): i32 {
  let v = load<i32>(at);
  v = v == ADAPT_NONE ? v : v - ADAPT_DECAY;
  if (width != 0) {
    let level = (exponent + width) << 16;
    if (v == ADAPT_NONE || level > v) v = level;
  }
  store<i32>(at, v);
  return (v + 0xFFFF) >> 16;
}
