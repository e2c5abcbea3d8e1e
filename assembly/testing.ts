// Test build (npm run build, target "testing"): the kernels exported one by one so that
// test/kernels/ can check each against a plain host implementation, exactly.
import { rngSeed, rngSave, rngLoad, next, setFieldBits, resetStreams, byte, half, field } from "./prng";
import { sampleRow, signRow } from "./kernels/sample";
import { denseForward, denseBackward } from "./kernels/dense";
import { normForward, normBackward, unitScale } from "./kernels/norm";
import { denseUpdate } from "./kernels/update";
import { quantizeExponent } from "./kernels/qbp";
import { stochasticShift } from "./kernels/round";
import { hingeBackward, countCorrect, lastLossSum } from "./kernels/loss";
import { crc32 } from "./crc32";

let top: usize = 0;

/** Bump allocator for test buffers (16-byte aligned); `reset` frees them all. */
export function alloc(bytes: usize): usize {
  if (top == 0) top = (__heap_base + 15) & ~15;
  let p = top;
  top = (top + bytes + 15) & ~15;
  let pages = <i32>((top + 0xFFFF) >>> 16);
  if (pages > memory.size()) memory.grow(pages - memory.size());
  return p;
}
export function reset(): void { top = 0; }

export function rng_seed(lo: u32, hi: u32): void { rngSeed(lo, hi); resetStreams(); }
export function rng_next(): u32 { return next(); }
export function rng_save(p: usize): void { rngSave(p); }
export function rng_load(p: usize): void { rngLoad(p); resetStreams(); }
export function rng_field_bits(bits: u32): void { setFieldBits(bits); }
export function rng_field(): u32 { return field(); }
export function rng_byte(): u32 { return byte(); }
export function rng_half(): u32 { return half(); }

export {
  sampleRow as sample_row, signRow as sign_row, denseForward as dense_forward,
  denseBackward as dense_backward, normForward as norm_forward, normBackward as norm_backward,
  denseUpdate as dense_update, stochasticShift as stochastic_shift, hingeBackward as hinge_backward,
  countCorrect as count_correct, lastLossSum as last_loss_sum, crc32,
};
export function unit_scale(spread: i32): i32 { return unitScale(spread); }
export function quantize_exponent(x: i32, lo: i32, hi: i32): i32 { return quantizeExponent(x, lo, hi); }

// Conv-net kernels.
import { patches } from "./kernels/conv";
import { pool } from "./kernels/pool";
import { fdiv } from "./arith";
export function floor_div(s: i64, n: i32): i64 { return fdiv(s, n); }
export { patches };
export function pool_forward(x: usize, h: i32, w: i32, c: i32, batch: i32, out: usize): void { pool(x, h, w, c, batch, out, 0); }
/** The pooled errors are the last quarter of dIn. */
export function pool_backward(x: usize, h: i32, w: i32, c: i32, batch: i32, dIn: usize): void { pool(x, h, w, c, batch, 0, dIn); }
