// Weight gradient and update, one input row at a time so only one row of int32 accumulators
// is needed: acc_j = sum_b d[b][j] · x[b][i] (QBP: d << (e - lo); exact: shift-and-add over
// the set bits of x), then w_ij -= acc_j · 2^shift with stochastic rounding, clipped to ±1.
import { WEIGHT_ONE } from "../config";
import { quantizeExponent } from "./qbp";
import { stochasticShift } from "./round";
import { half } from "../prng";

// @ts-ignore: decorator
@inline function addShifted(acc: usize, d: usize, n: i32, sh: i32): void {
  let end = acc + (<usize>n << 2);
  while (acc < end) {
    store<i32>(acc, load<i32>(acc) + (load<i32>(d) << sh));
    acc += 4; d += 4;
  }
}

export function denseUpdate(
  x: usize, nIn: i32, batch: i32, d: usize, nOut: i32, w: usize, acc: usize,
  qbp: bool, lo: i32, hi: i32, shift: i32,
): void {
  let dStride = <usize>nOut << 2;
  let accEnd = acc + dStride;
  let right = -shift;
  let fast = right >= 1 && right <= 16;
  let ditherCut = 16 - right;
  let wRow = w;
  for (let i = 0; i < nIn; i++) {
    for (let p = acc; p < accEnd; p += 4) store<i32>(p, 0);
    let touched = false;
    let xp = x + <usize>i;
    let dp = d;
    for (let b = 0; b < batch; b++) {
      let v = <i32>load<u8>(xp);
      if (v != 0) {
        if (qbp) {
          let e = quantizeExponent(v, lo, hi);
          if (e >= 0) { addShifted(acc, dp, nOut, e - lo); touched = true; }
        } else {
          touched = true;
          while (v != 0) { addShifted(acc, dp, nOut, ctz(v)); v &= v - 1; }
        }
      }
      xp += <usize>nIn;
      dp += dStride;
    }
    if (touched) {
      let wp = wRow;
      for (let p = acc; p < accEnd; p += 4) {
        let g = load<i32>(p);
        if (g != 0) {
          // The common case of stochasticShift (right shift of up to 16 bits), inlined.
          let step = fast ? (g + <i32>(half() >>> ditherCut)) >> right : stochasticShift(g, shift);
          let nw = <i32>load<i16>(wp) - step;
          nw = nw > WEIGHT_ONE ? WEIGHT_ONE : (nw < -WEIGHT_ONE ? -WEIGHT_ONE : nw);
          store<i16>(wp, <i16>nw);
        }
        wp += 2;
      }
    }
    wRow += <usize>nOut << 1;
  }
}
