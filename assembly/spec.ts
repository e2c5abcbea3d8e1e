// The model spec: 48 bytes written by the host at specPtr(), copied into the state header.
// Layout and ranges: assembly/shared/spec.ts (docs/model-format.md, "Spec").
import {
  SPEC_BYTES, SPEC_O_MODE, SPEC_O_QBP, SPEC_O_WINDOW, SPEC_O_LOG2_BATCH, SPEC_O_LAYERS,
  SPEC_O_LR_START, SPEC_O_LR_END, SPEC_O_DECAY, SPEC_O_RAND_BITS, SPEC_O_SIZES, SPEC_O_VERSION, SPEC_O_RESERVED,
  SPEC_MAX_SIZES, SPEC_O_HEIGHT, SPEC_O_WIDTH, SIZE_CONV, SIZE_UNITS, specFault, sizeFault, shapeFault,
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
@inline export function specHeight(s: usize): i32 { return load<u8>(s, SPEC_O_HEIGHT); }
// @ts-ignore: decorator
@inline export function specWidth(s: usize): i32 { return load<u8>(s, SPEC_O_WIDTH); }
// @ts-ignore: decorator
@inline export function specSize(s: usize, i: i32): i32 { return load<u16>(s + SPEC_O_SIZES + (<usize>i << 1)); }

/** Size i of the spec at SPEC (with a conv layer's flags). */
function sizeAt(i: i32): i32 { return specSize(SPEC, i); }

/** True when SPEC breaks none of the rules (assembly/shared/spec.ts specFault, sizeFault, shapeFault). */
export function specValid(): bool {
  let layers = specLayers(SPEC);
  if (specFault(
    load<u8>(SPEC, SPEC_O_VERSION), specMode(SPEC), load<u8>(SPEC, SPEC_O_QBP), specWindow(SPEC),
    specLog2Batch(SPEC), layers, specLrStart(SPEC), specLrEnd(SPEC), specRandBits(SPEC),
    load<u8>(SPEC, SPEC_O_RESERVED),
  ) != 0) return false;
  for (let i = 0; i < SPEC_MAX_SIZES; i++) {
    let n = specSize(SPEC, i); // a conv layer's channels carry flags (shapeFault checks them)
    if (sizeFault(i, layers, i <= layers && (n & SIZE_CONV) != 0 ? n & SIZE_UNITS : n) != 0) return false;
  }
  return shapeFault(specHeight(SPEC), specWidth(SPEC), specLog2Batch(SPEC), layers, sizeAt) == 0;
  return true;
}
