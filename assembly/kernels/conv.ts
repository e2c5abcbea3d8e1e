// 3x3 convolution, stride 1, zero padding "same", with sampled ±1 / {-1,0,+1} weights:
// additions only (docs/model-format.md, "Convolutional nets"). Channels-last layouts:
// inputs x uint8 [batch][h][w][cin]; latent weights int16 [ky][kx][cin][cout], i.e. 9·cin
// rows of cout (a dense layer's rows); sums z and errors d int32 [batch][h][w][cout];
// `kept` = the 9·cin packed rows in that order, each `words` u32 of +1 bits, then (ternary
// only) `words` u32 of -1 bits. For one output pixel and one kernel offset, the cin inputs
// and the cout sums are contiguous, so the inner loops are the dense kernel's row walks.
// Every offset is a running pointer; the strides come from `product` (shift-and-add).
import { MODE_TC, HIDDEN_MAX, WEIGHT_ONE } from "../config";
import { product } from "../arith";
import { sampleRow, signRow } from "./sample";
import { stochasticShift } from "./round";
import { quantizeExponent } from "./qbp";

// @ts-ignore: decorator
@inline function wordsFor(n: i32): i32 { return (n + 31) >> 5; }

/** Packed row size in bytes: +1 words, then -1 words for TC. */
// @ts-ignore: decorator
@inline function rowBytesFor(cout: i32, mode: i32): usize {
  let b = <usize>wordsFor(cout) << 2;
  return mode == MODE_TC ? b << 1 : b;
}

/** All 9·cin rows drawn in order (ky, kx, ci): stochastic (training) or deterministic. */
export function convSample(w: usize, cin: i32, cout: i32, mode: i32, stochastic: bool, kept: usize): void {
  let rows = product(9, cin);
  let wordBytes = <usize>wordsFor(cout) << 2;
  let rowBytes = rowBytesFor(cout, mode);
  let weightRow = <usize>cout << 1;
  for (let r = 0; r < rows; r++) {
    if (stochastic) sampleRow(w, cout, mode, kept, kept + wordBytes);
    else signRow(w, cout, mode, kept, kept + wordBytes);
    w += weightRow;
    kept += rowBytes;
  }
}

/** z[j] += v where bit j of the row is set. */
// @ts-ignore: decorator
@inline function addRow(z: usize, row: usize, words: i32, v: i32): void {
  for (let k = 0; k < words; k++) {
    let bits = load<u32>(row);
    row += 4;
    while (bits != 0) {
      let at = z + (<usize>ctz(bits) << 2);
      store<i32>(at, load<i32>(at) + v);
      bits &= bits - 1;
    }
    z += 128;
  }
}

/** Sum of d[j] over the set bits j of the row. */
// @ts-ignore: decorator
@inline function sumRow(d: usize, row: usize, words: i32): i32 {
  let acc = 0;
  for (let k = 0; k < words; k++) {
    let bits = load<u32>(row);
    row += 4;
    while (bits != 0) {
      acc += load<i32>(d + (<usize>ctz(bits) << 2));
      bits &= bits - 1;
    }
    d += 128;
  }
  return acc;
}

/**
 * z = conv(x, s) through the kept rows. Binary: z = 2·(sum of x where s = +1) − (sum of
 * the valid x). Zero inputs are skipped; out-of-image terms are never visited (the valid
 * kernel rows and columns are chosen once per output pixel).
 */
export function convForward(
  x: usize, h: i32, w: i32, cin: i32, batch: i32, kept: usize, cout: i32, mode: i32, z: usize,
): void {
  let words = wordsFor(cout);
  let wordBytes = <usize>words << 2;
  let rowBytes = rowBytesFor(cout, mode);
  let offsetBytes = <usize>product(cin, <i32>rowBytes); // the rows of one kernel offset
  let kyBytes = offsetBytes + (offsetBytes << 1);       // three offsets: one kernel row
  let line = <usize>product(w, cin);                    // one image row of x
  let zPixel = <usize>cout << 2;
  let tc = mode == MODE_TC;
  let xp = x, zp = z;
  for (let b = 0; b < batch; b++) {
    for (let y = 0; y < h; y++) {
      let ky0 = y == 0 ? 1 : 0, ky1 = y == h - 1 ? 1 : 2;
      for (let xx = 0; xx < w; xx++) {
        let kx0 = xx == 0 ? 1 : 0, kx1 = xx == w - 1 ? 1 : 2;
        let ze = zp + zPixel;
        for (let q = zp; q < ze; q += 4) store<i32>(q, 0);
        let total = 0;
        let srcRow = ky0 == 0 ? xp - line : xp;
        let rowsY = ky0 == 0 ? kept : kept + kyBytes;
        for (let ky = ky0; ky <= ky1; ky++) {
          let src = kx0 == 0 ? srcRow - <usize>cin : srcRow;
          let rows = kx0 == 0 ? rowsY : rowsY + offsetBytes;
          for (let kx = kx0; kx <= kx1; kx++) {
            let row = rows;
            let se = src + <usize>cin;
            for (let p = src; p < se; p++) {
              let v = <i32>load<u8>(p);
              if (v != 0) {
                addRow(zp, row, words, v);
                if (tc) addRow(zp, row + wordBytes, words, -v);
                total += v;
              }
              row += rowBytes;
            }
            src += <usize>cin;
            rows += offsetBytes;
          }
          srcRow += line;
          rowsY += kyBytes;
        }
        if (!tc) for (let q = zp; q < ze; q += 4) store<i32>(q, (load<i32>(q) << 1) - total);
        xp += <usize>cin;
        zp = ze;
      }
    }
  }
}

/**
 * Error backprop: dPrev[b][y'][x'][ci] = sum over the output pixels (y, x) that read it and
 * over co of s · d[b][y][x][co], left 0 where the input activation `act` is 0 or 255 (the
 * ReLU was off or saturated). Additions only; masked inputs cost nothing.
 */
export function convBackward(
  d: usize, h: i32, w: i32, cout: i32, batch: i32, kept: usize, cin: i32, mode: i32, act: usize, dPrev: usize,
): void {
  let words = wordsFor(cout);
  let wordBytes = <usize>words << 2;
  let rowBytes = rowBytesFor(cout, mode);
  let offsetBytes = <usize>product(cin, <i32>rowBytes);
  let kyBytes = offsetBytes + (offsetBytes << 1);
  let line = <usize>product(w, cin);
  let dPixel = <usize>cout << 2;
  let tc = mode == MODE_TC;
  // Zero dPrev: batch·h·w·cin int32.
  let inputs = product(product(batch, h), <i32>line);
  let pe = dPrev + (<usize>inputs << 2);
  for (let q = dPrev; q < pe; q += 4) store<i32>(q, 0);
  let ap = act, dp = d; // ap: input pixel (u8) of the output pixel dp
  let lineOut = line << 2; // the same row in int32 dPrev
  let op = dPrev;
  for (let b = 0; b < batch; b++) {
    for (let y = 0; y < h; y++) {
      let ky0 = y == 0 ? 1 : 0, ky1 = y == h - 1 ? 1 : 2;
      for (let xx = 0; xx < w; xx++) {
        let kx0 = xx == 0 ? 1 : 0, kx1 = xx == w - 1 ? 1 : 2;
        let total = 0;
        if (!tc) for (let q = dp, qe = dp + dPixel; q < qe; q += 4) total += load<i32>(q);
        let srcRow = ky0 == 0 ? ap - line : ap;
        let outRow = ky0 == 0 ? op - lineOut : op;
        let rowsY = ky0 == 0 ? kept : kept + kyBytes;
        for (let ky = ky0; ky <= ky1; ky++) {
          let src = kx0 == 0 ? srcRow - <usize>cin : srcRow;
          let out = kx0 == 0 ? outRow - (<usize>cin << 2) : outRow;
          let rows = kx0 == 0 ? rowsY : rowsY + offsetBytes;
          for (let kx = kx0; kx <= kx1; kx++) {
            let row = rows;
            let se = src + <usize>cin;
            let o = out;
            for (let p = src; p < se; p++) {
              let a = <i32>load<u8>(p);
              if (a != 0 && a != HIDDEN_MAX) {
                let acc = sumRow(dp, row, words);
                if (tc) acc -= sumRow(dp, row + wordBytes, words);
                else acc = (acc << 1) - total;
                store<i32>(o, load<i32>(o) + acc);
              }
              row += rowBytes;
              o += 4;
            }
            src += <usize>cin;
            out += <usize>cin << 2;
            rows += offsetBytes;
          }
          srcRow += line;
          outRow += lineOut;
          rowsY += kyBytes;
        }
        ap += <usize>cin;
        op += <usize>cin << 2;
        dp += dPixel;
      }
    }
  }
}

/** No QBP exponent: the input is zero or rounded to zero. */
export const QBP_NONE: u8 = 255;

/**
 * QBP exponents of a whole input tensor, drawn once per value in storage order:
 * q[i] = e − lo for x[i] > 0 with e = quantizeExponent(x[i], lo, hi) ≥ 0, else QBP_NONE
 * (zero inputs draw nothing).
 */
export function convQuantize(x: usize, count: i32, lo: i32, hi: i32, q: usize): void {
  let end = x + <usize>count;
  while (x < end) {
    let v = <i32>load<u8>(x);
    let e = v != 0 ? quantizeExponent(v, lo, hi) : -1;
    store<u8>(q, e >= 0 ? <u8>(e - lo) : QBP_NONE);
    x++; q++;
  }
}

/**
 * Weight gradient and update, row by row (ky, kx, ci), outputs co in order:
 * acc[co] = sum over samples and output pixels whose input is inside of
 * d[b][y][x][co] << q (qbp; q from convQuantize) or d · x (exact, shift-and-add over the
 * set bits of x), in 64 bits; then t = the smallest shift with |acc >> t| < 2^30 and
 * w −= stochasticShift(acc >> t, shift + t), clipped to ±2^14. `acc`: cout i64 of scratch.
 */
export function convUpdate(
  x: usize, q: usize, h: i32, w: i32, cin: i32, batch: i32, d: usize, cout: i32,
  weights: usize, acc: usize, qbp: bool, shift: i32,
): void {
  let line = <usize>product(w, cin);
  let dPixel = <usize>cout << 2;
  let dLine = <usize>product(w, cout) << 2;
  let image = <usize>product(h, <i32>line);
  let dImage = <usize>product(h, <i32>dLine);
  let accEnd = acc + (<usize>cout << 3);
  let src = qbp ? q : x;
  let wRow = weights;
  for (let ky = 0; ky < 3; ky++) {
    // Output rows y whose input row y + ky − 1 is inside: y0 .. y1.
    let y0 = ky == 0 ? 1 : 0, y1 = ky == 2 ? h - 2 : h - 1;
    for (let kx = 0; kx < 3; kx++) {
      let x0 = kx == 0 ? 1 : 0, x1 = kx == 2 ? w - 2 : w - 1;
      for (let ci = 0; ci < cin; ci++) {
        for (let p = acc; p < accEnd; p += 8) store<i64>(p, 0);
        // First visited pair: output (y0, x0) and its input (y0 + ky − 1, x0 + kx − 1).
        let inFirst = src + <usize>ci;
        if (y0 + ky - 1 > 0) inFirst += line; // that input row is 0 or 1
        if (x0 + kx - 1 > 0) inFirst += <usize>cin;
        let dFirst = d;
        if (y0 > 0) dFirst += dLine;
        if (x0 > 0) dFirst += dPixel;
        let inImg = inFirst, dImg = dFirst;
        for (let b = 0; b < batch; b++) {
          let inRow = inImg, dRow = dImg;
          for (let y = y0; y <= y1; y++) {
            let ip = inRow, dp = dRow;
            for (let xx = x0; xx <= x1; xx++) {
              let v = <i32>load<u8>(ip);
              if (qbp) {
                if (v != QBP_NONE) {
                  let t = <i64>v;
                  for (let a = acc, e = dp; a < accEnd; a += 8, e += 4) store<i64>(a, load<i64>(a) + (<i64>load<i32>(e) << t));
                }
              } else if (v != 0) {
                for (let a = acc, e = dp; a < accEnd; a += 8, e += 4) {
                  let dv = <i64>load<i32>(e);
                  let sum: i64 = 0;
                  for (let m = v; m != 0; m &= m - 1) sum += dv << <i64>ctz(m);
                  store<i64>(a, load<i64>(a) + sum);
                }
              }
              ip += <usize>cin;
              dp += dPixel;
            }
            inRow += line;
            dRow += dLine;
          }
          inImg += image;
          dImg += dImage;
        }
        let wp = wRow;
        for (let a = acc; a < accEnd; a += 8) {
          let g = load<i64>(a);
          if (g != 0) {
            // |acc >> t| < 2^30 (arithmetic shift), as stochasticShift needs.
            let t = 0;
            let v = g;
            while (v >= (<i64>1 << 30) || v <= -(<i64>1 << 30)) { t++; v = g >> <i64>t; }
            let step = stochasticShift(<i32>v, shift + t);
            let nw = <i32>load<i16>(wp) - step;
            nw = nw > WEIGHT_ONE ? WEIGHT_ONE : (nw < -WEIGHT_ONE ? -WEIGHT_ONE : nw);
            store<i16>(wp, <i16>nw);
          }
          wp += 2;
        }
        wRow += <usize>cout << 1;
      }
    }
  }
}
