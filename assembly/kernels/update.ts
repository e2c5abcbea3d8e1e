// Weight gradient and update, one input row at a time: acc_j = sum_b d[b][j] · x[b][i] (QBP:
// d << (e - lo); exact: shift-and-add over the set bits of x), then w_ij -= acc_j · 2^shift
// with stochastic rounding, clipped to ±1.
//
// Speed: the row's active samples are listed first (offset of d[b], multiplier 2^(e - lo) or
// x), then each block of outputs sums them in registers, two int32 lanes per i64. The errors
// are biased to d + 2^14 >= 0 (|d| <= 2^14) for the call, so no lane ever borrows from its
// neighbour; the bias, sum_b 2^14 · multiplier, is subtracted per row. Exact: integer sums
// do not depend on the order, and the random draws are the same, in the same order. A lane
// holds 2^CHUNK_LOG2_ROWS rows: more (a conv layer's positions × samples) are summed a chunk
// at a time into int64 totals, narrowed once per row, so every weight still gets one update.
import { WEIGHT_ONE } from "../config";
import { quantizeExponent } from "./qbp";
import { shiftDithered, stochasticShift } from "./round";
import { nextInline, halvesCount, halvesPut, halvesWord } from "../prng";
import { CHUNK_LOG2_ROWS } from "../shared/arena";
import { zeroWords } from "../bytes";

const BIAS = 1 << 14;
// The chunk loop's state (and the totals, 0 for one chunk) in globals: kept out of the
// registers that the listing and the sums need on a Cortex-M0+ (2 % fewer cycles there).
let chunkNext: usize = 0, chunkLast: usize = 0, chunkD: usize = 0, totals: usize = 0;
/** The rounding's input range: |v| < 2^30. */
const SUM_MAX: i64 = 0x3FFFFFFF;

/** The weight, clipped to ±1. */
// @ts-ignore: decorator
@inline function storeClipped(wp: usize, nw: i32): void {
  store<i16>(wp, <i16>(nw > WEIGHT_ONE ? WEIGHT_ONE : (nw < -WEIGHT_ONE ? -WEIGHT_ONE : nw)));
}

// @ts-ignore: decorator
@inline function addAll(p: usize, end: usize, v: i32): void {
  while (p < end) { store<i32>(p, load<i32>(p) + v); p += 4; }
}

/**
 * `acc`: scratch of nOut int32 (row sums), then min(rows, 2^CHUNK_LOG2_ROWS) int32 (the list of
 * active samples), then, with more rows, nOut int64 (the sums over all rows).
 */
export function denseUpdate(
  x: usize, nIn: i32, rows: i32, d: usize, nOut: i32, w: usize, acc: usize,
  qbp: bool, lo: i32, hi: i32, shift: i32,
): void {
  // aligned tensors (shared/arena.ts), made known to gcc: no alignment tests (see denseForward)
  acc &= ~(<usize>3); w &= ~(<usize>1);
  let dStride = <usize>nOut << 2;
  let accEnd = acc + dStride;
  let list = accEnd, listEnd = list + (<usize>(rows > 1 << CHUNK_LOG2_ROWS ? 1 << CHUNK_LOG2_ROWS : rows) << 2);
  let chunkSpan = <usize>nIn << CHUNK_LOG2_ROWS;
  totals = rows > 1 << CHUNK_LOG2_ROWS ? listEnd : 0;
  // QBP's top multiplier 2^(hi - lo); 0 (no input has it) without QBP.
  let topShift = <i64>(hi - lo), top = qbp ? 1 << (hi - lo) : 0;
  let half = top > 1 ? top >> 1 : -1; // and 2^(top-1), if QBP has it
  let dEnd = d, span: usize = 0;
  for (let b = 0; b < rows; b++) { dEnd += dStride; span += <usize>nIn; }
  addAll(d, dEnd, BIAS);
  let fast = shift >= -16 && shift <= -1;
  // the shift counts masked as the shifts mask them, so gcc sees them in range (M0+: 0.4 %)
  let right = -shift & 31, ditherCut = (16 + shift) & 31;
  let wRow = w;
  for (let i = 0; i < nIn; i++) {
    chunkNext = x + <usize>i; chunkLast = chunkNext + span;
    chunkD = d;
    let bias = 0;
    if (totals != 0) zeroWords(totals, dStride << 1);
    do {
      // Active samples of the chunk: (offset of d[b]) << 8 | multiplier, listed down from
      // listEnd; QBP's two top multipliers (2^top, 2^(top-1): most inputs) apart, up from list
      // as offsets, the top ones first: their sums are added unshifted, Horner-wise. The bias
      // they add to each sum.
      let ls = list, lh = list, le = listEnd;
      let xp = chunkNext, chunkEnd = xp + chunkSpan;
      if (chunkEnd > chunkLast) chunkEnd = chunkLast;
      chunkNext = chunkEnd;
      let off: usize = 0;
      bias = 0;
      while (true) {
        // the zero inputs (most of them) skipped in a loop of their own, with few live values
        while (xp < chunkEnd && load<u8>(xp) == 0) { xp += <usize>nIn; off += dStride; }
        if (xp >= chunkEnd) break;
        let v = <i32>load<u8>(xp);
        if (qbp) {
          let e = quantizeExponent(v, lo, hi);
          v = e >= 0 ? 1 << (e - lo) : 0;
        }
        if (v == top) {
          // before the half ones: the first of those moves to the end
          store<u32>(ls, load<u32>(lh)); store<u32>(lh, <u32>off); lh += 4; ls += 4; bias += v << 14;
        } else if (v == half) { store<u32>(ls, <u32>off); ls += 4; bias += v << 14; }
        else if (v != 0) { le -= 4; store<u32>(le, <u32>(off << 8) | v); bias += v << 14; }
        xp += <usize>nIn;
        off += dStride;
      }
      if (ls != list || le != listEnd) {
        // Sums, 8 outputs (4 i64 pairs) at a time, then one at a time.
        let ap = acc, dj = chunkD;
        while (ap + 32 <= accEnd) {
          let a0: i64 = 0, a1: i64 = 0, a2: i64 = 0, a3: i64 = 0, sh = topShift;
          for (let p = list; p < lh; p += 4) {
            let q = (dj + <usize>load<u32>(p)) & ~(<usize>3); // aligned: d and the offsets are
            a0 += load<i64>(q); a1 += load<i64>(q, 8); a2 += load<i64>(q, 16); a3 += load<i64>(q, 24);
          }
          if (lh != ls) {
            // then the half ones (a loop of their own: one loop over both, testing for the
            // boundary, cost the M0+ 3-5 % of a training step)
            a0 += a0; a1 += a1; a2 += a2; a3 += a3;
            sh = topShift - 1;
            for (let p = lh; p < ls; p += 4) {
              let q = (dj + <usize>load<u32>(p)) & ~(<usize>3);
              a0 += load<i64>(q); a1 += load<i64>(q, 8); a2 += load<i64>(q, 16); a3 += load<i64>(q, 24);
            }
          }
          a0 <<= sh; a1 <<= sh; a2 <<= sh; a3 <<= sh;
          for (let p = le; p < listEnd; p += 4) {
            let e = load<u32>(p);
            let q = (dj + <usize>(e >>> 8)) & ~(<usize>3);
            let m = e & 255;
            do {
              let t = <i64>ctz(m);
              a0 += load<i64>(q) << t; a1 += load<i64>(q, 8) << t;
              a2 += load<i64>(q, 16) << t; a3 += load<i64>(q, 24) << t;
              m &= m - 1;
            } while (m != 0);
          }
          store<i64>(ap, a0); store<i64>(ap, a1, 8); store<i64>(ap, a2, 16); store<i64>(ap, a3, 24);
          ap += 32; dj += 32;
        }
        while (ap < accEnd) {
          // the same two passes over the top and the half ones (one loop: the tail is cold)
          let a0 = 0, sh = <i32>topShift;
          let p = list, pe = lh;
          while (true) {
            for (; p < pe; p += 4) a0 += load<i32>(dj + <usize>load<u32>(p));
            if (pe == ls) break;
            a0 += a0; pe = ls; sh--; // then the half ones
          }
          a0 <<= sh;
          for (let p = le; p < listEnd; p += 4) {
            let e = load<u32>(p);
            let v = load<i32>(dj + <usize>(e >>> 8));
            let m = e & 255;
            do { a0 += v << ctz(m); m &= m - 1; } while (m != 0);
          }
          store<i32>(ap, a0);
          ap += 4; dj += 4;
        }
        if (totals != 0) {
          let t = totals;
          for (let p = acc; p < accEnd; p += 4) { store<i64>(t, load<i64>(t) + <i64>(load<i32>(p) - bias)); t += 8; }
        }
      }
      chunkD += dStride << CHUNK_LOG2_ROWS;
    } while (chunkNext < chunkLast);
    // nothing listed: bias 0 (every input adds 2^14 or more); the totals' rows update anyway,
    // by zero steps, which draw nothing
    if (totals != 0 || bias != 0) {
      if (totals != 0) {
        // the totals narrowed to the rounding's input range (256 rows never reach it)
        let t = totals;
        for (let p = acc; p < accEnd; p += 4) {
          let v = load<i64>(t);
          store<i32>(p, <i32>(v > SUM_MAX ? SUM_MAX : (v < -SUM_MAX ? -SUM_MAX : v)));
          t += 8;
        }
        bias = 0;
      }
      let wp = wRow;
      if (fast) {
        // stochasticShift's common case, on the half() stream held in locals for the pass
        // (same draws, same order)
        let hw = halvesWord(), hl = halvesCount();
        for (let p = acc; p < accEnd; p += 4) {
          let g = load<i32>(p) - bias;
          if (g != 0) {
            if (hl == 0) { hw = nextInline(); hl = 2; }
            storeClipped(wp, <i32>load<i16>(wp) - shiftDithered(g, hw & 0xFFFF, ditherCut, right));
            hw >>>= 16; hl--;
          }
          wp += 2;
        }
        halvesPut(hw, hl);
      } else {
        // any other shift: stochasticShift draws from half() itself (a zero sum draws nothing)
        for (let p = acc; p < accEnd; p += 4) {
          storeClipped(wp, <i32>load<i16>(wp) - stochasticShift(load<i32>(p) - bias, shift));
          wp += 2;
        }
      }
    }
    wRow += <usize>nOut << 1;
  }
  addAll(d, dEnd, -BIAS);
}
