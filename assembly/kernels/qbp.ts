// Quantized backprop: the input of the weight gradient rounded stochastically to a power of
// two, so that every product delta · x becomes a shift.
import { byte } from "../prng";

/**
 * Exponent e of Q(x) = 2^e for a uint8 input x > 0, or -1 for Q(x) = 0.
 * Unbiased inside the window [lo, hi]: x in [2^f, 2^(f+1)) becomes 2^(f+1) with probability
 * x/2^f - 1; x below 2^lo becomes 2^lo with probability x/2^lo; x above 2^hi saturates.
 * At most 8 random bits per input (one byte field).
 */
// @ts-ignore: decorator
@inline export function quantizeExponent(x: i32, lo: i32, hi: i32): i32 {
  let f = 31 - clz(x);
  if (f >= hi) return hi;
  // One draw either way (a single inlined copy of the byte stream): below the window against
  // x (2^lo or zero), inside it against x - 2^f (2^(f+1) or 2^f); f = 0 inside is exact.
  let below = f < lo;
  if (f == 0 && !below) return 0;
  let e = below ? lo : f;
  return <i32>(byte() >> (8 - e)) < (below ? x : x - (1 << f)) ? (below ? e : e + 1) : (below ? -1 : e);
}
