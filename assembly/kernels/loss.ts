// Squared hinge loss on targets t = +1 (label) / -1 (others), scores in fixed point with
// one = 2^OUTPUT_SHIFT. Gradient -2·t·max(0, 1 - t·y): a sign flip and a shift.
import { OUTPUT_SHIFT } from "../config";

let lossSum: u32 = 0;

/** Squared hinge loss of the last batch, summed over samples and outputs, one = 2^8. */
export function lastLossSum(): u32 { return lossSum; }

/** Index of the highest of n int32 scores, the first on ties. */
export function argmax(row: usize, n: i32): i32 {
  let best = 0;
  let top = load<i32>(row);
  for (let j = 1; j < n; j++) {
    let v = load<i32>(row + (<usize>j << 2));
    if (v > top) { top = v; best = j; }
  }
  return best;
}

/** Number of samples whose highest score (first on ties) is at their label. */
export function countCorrect(y: usize, labels: usize, n: i32, batch: i32): i32 {
  let correct = 0;
  let row = y;
  for (let b = 0; b < batch; b++) {
    if (argmax(row, n) == <i32>load<u8>(labels + <usize>b)) correct++;
    row += <usize>n << 2;
  }
  return correct;
}

/** v·v by shift-and-add over the set bits of v (v >= 0): the module has no multiply in loops. */
// @ts-ignore: decorator
@inline function square(v: u32): u64 {
  let sum: u64 = 0;
  let bits = v;
  while (bits != 0) { sum += <u64>v << ctz(bits); bits &= bits - 1; }
  return sum;
}

/** Replaces the scores y [batch][n] by the loss gradient (same fixed point), records the loss. */
// @ts-ignore: decorator (inlined into its one caller: fewer module bytes)
@inline export function hingeBackward(y: usize, labels: usize, n: i32, batch: i32): void {
  let one = 1 << OUTPUT_SHIFT;
  let loss: u64 = 0;
  let p = y;
  for (let b = 0; b < batch; b++) {
    let label = <i32>load<u8>(labels + <usize>b);
    for (let j = 0; j < n; j++) {
      let v = load<i32>(p);
      let margin = j == label ? one - v : one + v;
      let g = 0;
      if (margin > 0) {
        loss += square(<u32>margin) >> OUTPUT_SHIFT;
        g = j == label ? -(margin << 1) : margin << 1;
      }
      store<i32>(p, g);
      p += 4;
    }
  }
  lossSum = loss > 0xFFFFFFFF ? 0xFFFFFFFF : <u32>loss;
}
