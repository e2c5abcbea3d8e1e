// Dense layer with sampled ±1 / {-1,0,+1} weights: additions only.
// Layouts: inputs x are uint8 [batch][nIn]; latent weights int16 [nIn][nOut] (row = one input);
// sums z and errors d are int32 [batch][nOut]; packed rows are `words` u32 of +1 bits,
// then (ternary only) `words` u32 of -1 bits.
import { MODE_TC, HIDDEN_MAX } from "../config";
import { sampleRow, signRow } from "./sample";

// @ts-ignore: decorator
@inline export function wordsFor(n: i32): i32 { return (n + 31) >> 5; }

// @ts-ignore: decorator
@inline function zero32(p: usize, count: i32): void {
  let end = p + (<usize>count << 2);
  while (p < end) { store<i32>(p, 0); p += 4; }
}

/** z[b][j] += x where bit j of the row is set (walks set bits only). */
// @ts-ignore: decorator
@inline function addRow(z: usize, row: usize, words: i32, x: i32): void {
  let base = z;
  for (let k = 0; k < words; k++) {
    let bits = load<u32>(row);
    row += 4;
    while (bits != 0) {
      let at = base + (<usize>ctz(bits) << 2);
      store<i32>(at, load<i32>(at) + x);
      bits &= bits - 1;
    }
    base += 128;
  }
}

/** addRow for two samples at once: z and z + apart get x and y. */
// @ts-ignore: decorator
@inline function addRow2(z: usize, apart: usize, row: usize, words: i32, x: i32, y: i32): void {
  let base = z;
  for (let k = 0; k < words; k++) {
    let bits = load<u32>(row);
    row += 4;
    while (bits != 0) {
      let at = base + (<usize>ctz(bits) << 2);
      store<i32>(at, load<i32>(at) + x);
      at += apart;
      store<i32>(at, load<i32>(at) + y);
      bits &= bits - 1;
    }
    base += 128;
  }
}

/**
 * Forward pass z = x · W_sampled for a batch. Each row of weights is drawn once (stochastic
 * when training, deterministic signs otherwise) and applied to every sample, so the sampled
 * matrix is never stored whole; `keep` (or 0) receives the packed rows for error backprop.
 * Binary: z = 2·(sum of x where w = +1) - sum of x.
 */
export function denseForward(
  x: usize, nIn: i32, batch: i32, w: usize, nOut: i32, mode: i32, stochastic: bool,
  z: usize, rowPos: usize, rowNeg: usize, keep: usize,
): void {
  // The arena keeps every tensor 4-byte aligned (shared/arena.ts); masking says so, and gcc
  // then drops the Cortex-M0+'s alignment test of every access derived from these (same values).
  z &= ~(<usize>3); rowPos &= ~(<usize>3); rowNeg &= ~(<usize>3);
  let words = wordsFor(nOut);
  let rowBytes = <usize>words << 2;
  let zStride = <usize>nOut << 2;
  let zp = z;
  for (let b = 0; b < batch; b++) { zero32(zp, nOut); zp += zStride; }

  let wRow = w;
  let xEnd = x;
  for (let b = 0; b < batch; b++) xEnd += nIn;
  for (let i = 0; i < nIn; i++) {
    // An input that is zero in every sample needs no weights: its row is not drawn. The
    // zero inputs (most of them) are skipped in a loop of their own, with few live values.
    let xp = x + i;
    zp = z;
    while (xp < xEnd && load<u8>(xp) == 0) { xp += nIn; zp += zStride; }
    if (xp >= xEnd) {
      for (let k = 0; k < words; k++) {
        store<u32>(rowPos + (<usize>k << 2), 0);
        if (mode == MODE_TC) store<u32>(rowNeg + (<usize>k << 2), 0);
      }
    } else if (stochastic) sampleRow(wRow, nOut, mode, rowPos, rowNeg);
    else signRow(wRow, nOut, mode, rowPos, rowNeg);
    wRow += <usize>nOut << 1;
    if (keep != 0) {
      memoryCopy(keep, rowPos, rowBytes); keep += rowBytes;
      if (mode == MODE_TC) { memoryCopy(keep, rowNeg, rowBytes); keep += rowBytes; }
    }
    // Active samples two at a time: one walk over the row's set bits serves both.
    let pend: usize = 0, pv = 0;
    while (xp < xEnd) {
      let v = <i32>load<u8>(xp);
      if (pend == 0) { pend = zp; pv = v; } else {
        addRow2(pend, zp - pend, rowPos, words, pv, v);
        if (mode == MODE_TC) addRow2(pend, zp - pend, rowNeg, words, -pv, -v);
        pend = 0;
      }
      xp += nIn;
      zp += zStride;
      while (xp < xEnd && load<u8>(xp) == 0) { xp += nIn; zp += zStride; }
    }
    if (pend != 0) {
      addRow(pend, rowPos, words, pv);
      if (mode == MODE_TC) addRow(pend, rowNeg, words, -pv);
    }
  }

  if (mode != MODE_TC) {
    // z = 2P - S, S = sum of the sample's inputs
    let xp = x;
    zp = z;
    for (let b = 0; b < batch; b++) {
      let s = 0;
      let xe = xp + nIn;
      while (xp < xe) { s += <i32>load<u8>(xp); xp++; }
      let ze = zp + zStride;
      while (zp < ze) { store<i32>(zp, (load<i32>(zp) << 1) - s); zp += 4; }
    }
  }
}

/**
 * Error backprop through the sampled weights kept by the forward pass:
 * dPrev[b][i] = sum_j s_ij · d[b][j], set to 0 where the previous layer's ReLU was off or
 * saturated (`act` = its uint8 outputs). Additions only; masked units cost nothing.
 */
export function denseBackward(
  d: usize, nOut: i32, batch: i32, kept: usize, nIn: i32, mode: i32, act: usize, dPrev: usize,
): void {
  let words = wordsFor(nOut);
  let keptRow = <usize>words << 2;
  if (mode == MODE_TC) keptRow <<= 1;
  let dStride = <usize>nOut << 2;
  let dp = d, ap = act, op = dPrev;
  for (let b = 0; b < batch; b++) {
    let total = 0;
    if (mode != MODE_TC) {
      let q = dp, qe = dp + dStride;
      while (q < qe) { total += load<i32>(q); q += 4; }
    }
    let row = kept;
    for (let i = 0; i < nIn; i++) {
      let a = <i32>load<u8>(ap);
      let acc = 0;
      if (a != 0 && a != HIDDEN_MAX) {
        acc = sumRow(dp, row, words);
        if (mode == MODE_TC) acc -= sumRow(dp, row + (<usize>words << 2), words);
        else acc = (acc << 1) - total;
      }
      store<i32>(op, acc);
      ap++; op += 4; row += keptRow;
    }
    dp += dStride;
  }
}

// @ts-ignore: decorator
@inline function sumRow(d: usize, row: usize, words: i32): i32 {
  let acc = 0;
  let base = d;
  for (let k = 0; k < words; k++) {
    let bits = load<u32>(row);
    row += 4;
    while (bits != 0) {
      acc += load<i32>(base + (<usize>ctz(bits) << 2));
      bits &= bits - 1;
    }
    base += 128;
  }
  return acc;
}

// @ts-ignore: decorator
@inline function memoryCopy(dst: usize, src: usize, bytes: usize): void {
  let end = src + bytes;
  while (src < end) { store<u32>(dst, load<u32>(src)); src += 4; dst += 4; }
}
