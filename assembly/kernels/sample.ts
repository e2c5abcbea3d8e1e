// Draw the binary / ternary weights of one row (one input's outgoing weights) from the
// int16 latent weights, packed 32 to a word: `pos` bit j = weight j is +1,
// `neg` bit j = weight j is -1 (ternary only; binary weights are -1 where `pos` is 0).
import { WEIGHT_ONE, WEIGHT_SHIFT, MODE_TC } from "../config";
import { next, nextInline, fieldWidth, fieldsWord, fieldsCount, fieldsPut } from "../prng";

/** The bit after the last of `count` (1..32) low bits: 0 (shifted out) for a whole word. */
// @ts-ignore: decorator
@inline function bitAfter(count: i32): u32 { return count == 32 ? 0 : <u32>1 << count; }

/**
 * Stochastic sampling (training). BC: +1 when r < (w + 1)/2, TC: sign(w) when r < |w|,
 * r being a `fieldWidth()`-bit random field compared with the latent weight's top bits.
 */
export function sampleRow(w: usize, n: i32, mode: i32, pos: usize, neg: usize): void {
  // Thresholds on a 16-bit scale ((w + 1)/2 and |w|), cut to the field width.
  let bits = fieldWidth();
  let cut = (16 - bits) & 31; // 0..15, and known to be: no mask per shift on the M0+
  // The field stream in locals for the row (same draws, same order as field()).
  let mask = (<u32>1 << bits) - 1, perWord = 32 >> ctz(bits);
  let fw = fieldsWord(), fl = fieldsCount();
  w &= ~(<usize>1); // the arena's weights are aligned: gcc drops the M0+'s alignment test per weight
  let end = w + (<usize>n << 1);
  while (w < end) {
    let p: u32 = 0, q: u32 = 0;
    let count = <i32>((end - w) >> 1);
    if (count > 32) count = 32;
    // One loop per mode (the test hoisted out of the per-weight loop).
    // `bit` walks the word's bits (no shift by a variable count per weight).
    if (mode == MODE_TC && bits == 8) {
      // the default field width, its shifts and mask constants (fewer live values on the M0+)
      for (let bit: u32 = 1, stop = bitAfter(count); bit != stop; bit <<= 1) {
        let v = <i32>load<i16>(w);
        w += 2;
        if (fl == 0) { fw = nextInline(); fl = 4; }
        let r = <i32>(fw & 255);
        fw >>>= 8; fl--;
        let m = v >> 31;
        let mag = (v ^ m) - m;
        p |= <u32>((r - ((mag << (16 - WEIGHT_SHIFT)) >> 8)) >> 31) & bit; // a hit: nonzero
        q |= <u32>m & bit; // negative
      }
      q &= p; p ^= q; // hits split by sign
    } else if (mode == MODE_TC) {
      for (let bit: u32 = 1, stop = bitAfter(count); bit != stop; bit <<= 1) {
        let v = <i32>load<i16>(w);
        w += 2;
        if (fl == 0) { fw = next(); fl = perWord; } // other widths: cold, a call
        let r = <i32>(fw & mask);
        fw >>>= bits; fl--;
        let m = v >> 31;                       // -1 for negative weights
        let mag = (v ^ m) - m;
        let hit = <u32>((r - ((mag << (16 - WEIGHT_SHIFT)) >> cut)) >> 31) & bit; // bit when r < |w|
        p |= hit & ~m;
        q |= hit & m;
      }
    } else {
      for (let bit: u32 = 1, stop = bitAfter(count); bit != stop; bit <<= 1) {
        let v = <i32>load<i16>(w);
        w += 2;
        if (fl == 0) { fw = nextInline(); fl = perWord; }
        let r = <i32>(fw & mask);
        fw >>>= bits; fl--;
        p |= <u32>((r - (((v + WEIGHT_ONE) << (15 - WEIGHT_SHIFT)) >> cut)) >> 31) & bit;
      }
    }
    store<u32>(pos, p); pos += 4;
    if (mode == MODE_TC) { store<u32>(neg, q); neg += 4; }
  }
  fieldsPut(fw, fl);
}

/** Deterministic weights (inference, evaluation): BC sign(w); TC sign(w) where |w| > 1/2. */
// @ts-ignore: decorator (inlined into its one caller: fewer module bytes)
@inline export function signRow(w: usize, n: i32, mode: i32, pos: usize, neg: usize): void {
  let end = w + (<usize>n << 1);
  let half = WEIGHT_ONE >> 1;
  while (w < end) {
    let p: u32 = 0, q: u32 = 0;
    let count = <i32>((end - w) >> 1);
    if (count > 32) count = 32;
    for (let k = 0; k < count; k++) {
      let v = <i32>load<i16>(w);
      w += 2;
      if (mode == MODE_TC) {
        p |= <u32>(v > half) << k;
        q |= <u32>(v < -half) << k;
      } else {
        p |= <u32>(v >= 0) << k;
      }
    }
    store<u32>(pos, p); pos += 4;
    if (mode == MODE_TC) { store<u32>(neg, q); neg += 4; }
  }
}
