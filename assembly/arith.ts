// Size arithmetic without a multiply instruction (assembly/shared/arith.ts, shared with the host).
export { product } from "./shared/arith";

/**
 * floor(s / n) for n >= 1, by restoring long division (no divide or multiply instruction);
 * a power of two n is the arithmetic shift, so batch means stay one instruction.
 */
export function fdiv(s: i64, n: i32): i64 {
  if ((n & (n - 1)) == 0) return s >> <i64>ctz(n);
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
