// Size arithmetic without a multiply instruction (assembly/shared/arith.ts, shared with the host).
export { product } from "./shared/arith";

/**
 * floor(s / n) for n >= 1, by restoring long division (no divide or multiply instruction);
 * a power of two n is the arithmetic shift, so batch means stay one instruction.
 */
export function fdiv(s: i64, n: i32): i64 {
  if ((n & (n - 1)) == 0) return s >> <i64>ctz(n);
  // s < 0: floor(s / n) = -floor((n - 1 - s) / n), so the quotient is of a magnitude.
  let neg = s < 0;
  let a = <u64>(neg ? <i64>(n - 1) - s : s);
  let d = <u64>n;
  let q: u64 = 0, r: u64 = 0;
  for (let i: u64 = 64; i-- > 0;) {
    r = (r << 1) | ((a >> i) & 1);
    q <<= 1;
    if (r >= d) { r -= d; q++; }
  }
  return neg ? -<i64>q : <i64>q;
}
