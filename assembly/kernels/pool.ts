// 2x2 max pooling, stride 2, on channels-last uint8 activations [batch][h][w][c] (h, w even)
// (docs/model-format.md, "Convolutional nets"). The four inputs of a window are at the
// constant offsets 0, c, line, line + c (line = w·c) from its first value, compared in that
// order: the first maximum is the argmax. The backward recomputes it from the kept input.
import { product } from "../arith";
import { zeroWords } from "../bytes";

/**
 * dIn = 0: the forward, out = the pooled uint8 maxima. dIn != 0: the backward; the pooled
 * int32 errors are the last quarter of dIn (the arena puts them there), and each goes to its
 * window's argmax in dIn (int32 like x, 0 at the other three inputs; the exponent unchanged).
 * In place: the first three quarters are zeroed, each error slot is zeroed as it is read, and
 * window k's values land at or before slot k (the last window's argmax may be its own slot).
 */
export function pool(x: usize, h: i32, w: i32, c: i32, batch: i32, out: usize, dIn: usize): void {
  let line = <usize>product(w, c);
  let rows = product(batch, h >> 1);
  let windows = w >> 1;
  if (dIn != 0) {
    let quarter = <usize>product(rows, <i32>line) << 1; // bytes of the pooled errors: a quarter of dIn
    out = dIn + quarter + (quarter << 1);
    zeroWords(dIn, out - dIn);
  }
  let first = x;
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < windows; k++) {
      let e = first + <usize>c;
      for (let p = first; p < e; p++) {
        let m = load<u8>(p);
        let at: usize = 0;
        let v = load<u8>(p + <usize>c); if (v > m) { m = v; at = <usize>c; }
        v = load<u8>(p + line); if (v > m) { m = v; at = line; }
        v = load<u8>(p + line + <usize>c); if (v > m) { m = v; at = line + <usize>c; }
        if (dIn == 0) { store<u8>(out, m); out++; }
        else {
          let error = load<i32>(out);
          store<i32>(out, 0);
          store<i32>(dIn + ((p + at - x) << 2), error);
          out += 4;
        }
      }
      first += <usize>c << 1;
    }
    first += line; // skip the window's second row
  }
}
