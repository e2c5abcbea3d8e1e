// 2x2 max pooling, stride 2, on channels-last uint8 activations [batch][h][w][c] (h, w even)
// (docs/model-format.md, "Convolutional nets"). The four inputs of a window are at the
// constant offsets 0, c, line, line + c (line = w·c) from its first value, compared in that
// order: the first maximum is the argmax. The backward recomputes it from the kept input.
import { product } from "../arith";

export function poolForward(x: usize, h: i32, w: i32, c: i32, batch: i32, out: usize): void {
  let line = <usize>product(w, c);
  let step = <usize>c << 1;
  let rows = product(batch, h >> 1);
  let windows = w >> 1;
  let first = x;
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < windows; k++) {
      let e = first + <usize>c;
      for (let p = first; p < e; p++) {
        let m = load<u8>(p);
        let v = load<u8>(p + <usize>c); if (v > m) m = v;
        v = load<u8>(p + line); if (v > m) m = v;
        v = load<u8>(p + line + <usize>c); if (v > m) m = v;
        store<u8>(out, m);
        out++;
      }
      first += step;
    }
    first += line; // skip the window's second row
  }
}

/**
 * dIn = dOut routed to each window's argmax (first maximum in the order above), 0 at the
 * other three inputs; int32 errors, the exponent unchanged. `x` is the forward's input.
 */
export function poolBackward(dOut: usize, x: usize, h: i32, w: i32, c: i32, batch: i32, dIn: usize): void {
  let line = <usize>product(w, c);
  let step = <usize>c << 1;
  let rows = product(batch, h >> 1);
  let windows = w >> 1;
  let end = dIn + (<usize>product(rows, <i32>line) << 3); // 2 input rows per pooled row, 4 bytes each
  for (let q = dIn; q < end; q += 4) store<i32>(q, 0);
  let first = x;
  let dFirst = dIn;
  let lineD = line << 2;
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < windows; k++) {
      let e = first + <usize>c;
      let dq = dFirst;
      for (let p = first; p < e; p++) {
        let m = load<u8>(p);
        let at = dq;
        let v = load<u8>(p + <usize>c); if (v > m) { m = v; at = dq + (<usize>c << 2); }
        v = load<u8>(p + line); if (v > m) { m = v; at = dq + lineD; }
        v = load<u8>(p + line + <usize>c); if (v > m) { at = dq + lineD + (<usize>c << 2); }
        store<i32>(at, load<i32>(dOut));
        dOut += 4;
        dq += 4;
      }
      first += step;
      dFirst += step << 2;
    }
    first += line;
    dFirst += lineD;
  }
}
