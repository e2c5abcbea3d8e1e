/// <reference path="./portable.d.ts" />
// The module has no multiply instruction at all (checked on the compiled module by
// test/module/compiled-module.test.ts): the few products of sizes that planning needs are
// computed by shift-and-add, as on a core without a multiplier. Plain TypeScript that
// AssemblyScript also compiles (the host plans memory with it too).

/** a · b for 0 <= a, b with a product below 2^31. */
export function product(a: i32, b: i32): i32 {
  let sum = 0;
  while (b != 0) {
    if (b & 1) sum += a;
    a <<= 1;
    b >>>= 1;
  }
  return sum;
}
