// The model spec: 48 bytes written by the host at specPtr(), copied into the state header.
// Layout and ranges: assembly/shared/spec.ts (docs/model-format.md, "Spec").
import {
  SPEC_VERSION, SPEC_BYTES, SPEC_O_MODE, SPEC_O_QBP, SPEC_O_WINDOW, SPEC_O_LOG2_BATCH,
  SPEC_O_LAYERS, SPEC_O_LR_START, SPEC_O_LR_END, SPEC_O_DECAY, SPEC_O_RAND_BITS, SPEC_O_RESERVED,
  SPEC_O_SIZES, SPEC_MAX_SIZES, MODE_TC, QBP_MAX_WINDOW, MAX_LOG2_BATCH, MAX_LAYERS, MAX_UNITS,
  MIN_OUTPUTS, MAX_OUTPUTS, LR_SHIFT_MIN, LR_SHIFT_MAX, MAX_RAND_BITS,
} from "./shared/spec";
export { SPEC_BYTES };

export const SPEC: usize = memory.data(SPEC_BYTES);

// @ts-ignore: decorator
@inline export function specMode(s: usize): i32 { return load<u8>(s, SPEC_O_MODE); }
// @ts-ignore: decorator
@inline export function specQbp(s: usize): bool { return load<u8>(s, SPEC_O_QBP) != 0; }
// @ts-ignore: decorator
@inline export function specWindow(s: usize): i32 { return load<u8>(s, SPEC_O_WINDOW); }
// @ts-ignore: decorator
@inline export function specLog2Batch(s: usize): i32 { return load<u8>(s, SPEC_O_LOG2_BATCH); }
// @ts-ignore: decorator
@inline export function specLayers(s: usize): i32 { return load<u8>(s, SPEC_O_LAYERS); }
// @ts-ignore: decorator
@inline export function specLrStart(s: usize): i32 { return load<i8>(s, SPEC_O_LR_START); }
// @ts-ignore: decorator
@inline export function specLrEnd(s: usize): i32 { return load<i8>(s, SPEC_O_LR_END); }
// @ts-ignore: decorator
@inline export function specDecaySteps(s: usize): u32 { return load<u32>(s, SPEC_O_DECAY); }
// @ts-ignore: decorator
@inline export function specRandBits(s: usize): i32 { return load<u8>(s, SPEC_O_RAND_BITS); }
// @ts-ignore: decorator
@inline export function specSize(s: usize, i: i32): i32 { return load<u16>(s + SPEC_O_SIZES + (<usize>i << 1)); }

/** True when every field is in range (the rules of host/module/spec.ts validateSpec). */
export function specValid(s: usize): bool {
  if (load<u8>(s) != <u8>SPEC_VERSION) return false;
  if (specMode(s) > MODE_TC || load<u8>(s, SPEC_O_QBP) > 1) return false;
  let w = specWindow(s);
  if (w < 1 || w > QBP_MAX_WINDOW) return false;
  if (specLog2Batch(s) > MAX_LOG2_BATCH) return false;
  let layers = specLayers(s);
  if (layers < 1 || layers > MAX_LAYERS) return false;
  let lr0 = specLrStart(s), lr1 = specLrEnd(s);
  if (lr0 < LR_SHIFT_MIN || lr0 > LR_SHIFT_MAX || lr1 < LR_SHIFT_MIN || lr1 > LR_SHIFT_MAX) return false;
  let rb = specRandBits(s);
  if (rb < 1 || rb > MAX_RAND_BITS || (rb & (rb - 1)) != 0) return false;
  for (let i = 0; i < 3; i++) if (load<u8>(s + SPEC_O_RESERVED + i) != 0) return false;
  for (let i = 0; i <= layers; i++) {
    let n = specSize(s, i);
    if (n < 1 || n > MAX_UNITS) return false;
  }
  let outputs = specSize(s, layers);
  if (outputs < MIN_OUTPUTS || outputs > MAX_OUTPUTS) return false;
  for (let i = layers + 1; i < SPEC_MAX_SIZES; i++) if (specSize(s, i) != 0) return false;
  return true;
}
