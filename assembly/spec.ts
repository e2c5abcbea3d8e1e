// The model spec: 48 bytes written by the host at specPtr(), copied into the state header.
//
//   off size field
//   0   u8   version (SPEC_VERSION)
//   1   u8   mode: 0 binary (BC), 1 ternary (TC)
//   2   u8   qbp: 1 = power-of-two inputs in the weight gradient, 0 = exact shift-and-add
//   3   u8   QBP exponent window, 1..8
//   4   u8   log2(batch size), 0..8
//   5   u8   number of layers L, 1..8
//   6   i8   learning-rate shift at step 0 (lr = 2^-shift), -8..30
//   7   i8   learning-rate shift reached after `decay steps` (exponential decay in between)
//   8   u32  decay steps (0 = constant rate)
//   12  u8   random bits per sampling decision: 1, 2, 4, 8 or 16
//   13  3    reserved, 0
//   16  u16  sizes[L + 1] (inputs, hidden..., outputs), unused entries 0
import { MAX_LAYERS, MAX_UNITS, MAX_LOG2_BATCH, QBP_MAX_WINDOW, MODE_TC } from "./config";

export const SPEC_VERSION: u8 = 1;
export const SPEC_BYTES: i32 = 48;

export const SPEC: usize = memory.data(SPEC_BYTES);

// @ts-ignore: decorator
@inline export function specMode(s: usize): i32 { return load<u8>(s, 1); }
// @ts-ignore: decorator
@inline export function specQbp(s: usize): bool { return load<u8>(s, 2) != 0; }
// @ts-ignore: decorator
@inline export function specWindow(s: usize): i32 { return load<u8>(s, 3); }
// @ts-ignore: decorator
@inline export function specLog2Batch(s: usize): i32 { return load<u8>(s, 4); }
// @ts-ignore: decorator
@inline export function specLayers(s: usize): i32 { return load<u8>(s, 5); }
// @ts-ignore: decorator
@inline export function specLrStart(s: usize): i32 { return load<i8>(s, 6); }
// @ts-ignore: decorator
@inline export function specLrEnd(s: usize): i32 { return load<i8>(s, 7); }
// @ts-ignore: decorator
@inline export function specDecaySteps(s: usize): u32 { return load<u32>(s, 8); }
// @ts-ignore: decorator
@inline export function specRandBits(s: usize): i32 { return load<u8>(s, 12); }
// @ts-ignore: decorator
@inline export function specSize(s: usize, i: i32): i32 { return load<u16>(s + 16 + (<usize>i << 1)); }

/** True when every field is in range. */
export function specValid(s: usize): bool {
  if (load<u8>(s) != SPEC_VERSION) return false;
  if (specMode(s) > MODE_TC || load<u8>(s, 2) > 1) return false;
  let w = specWindow(s);
  if (w < 1 || w > QBP_MAX_WINDOW) return false;
  if (specLog2Batch(s) > MAX_LOG2_BATCH) return false;
  let layers = specLayers(s);
  if (layers < 1 || layers > MAX_LAYERS) return false;
  if (specLrStart(s) < -8 || specLrStart(s) > 30 || specLrEnd(s) < -8 || specLrEnd(s) > 30) return false;
  let rb = specRandBits(s);
  if (rb != 1 && rb != 2 && rb != 4 && rb != 8 && rb != 16) return false;
  if (load<u8>(s, 13) | load<u8>(s, 14) | load<u8>(s, 15)) return false;
  for (let i = 0; i <= layers; i++) {
    let n = specSize(s, i);
    if (n < 1 || n > MAX_UNITS) return false;
  }
  if (specSize(s, layers) < 2 || specSize(s, layers) > 255) return false; // labels are uint8
  for (let i = layers + 1; i < 16; i++) if (specSize(s, i) != 0) return false;
  return true;
}
