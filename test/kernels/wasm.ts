/**
 * Loads build/fewmul-testing.wasm (the kernels exported one by one, see assembly/testing.ts)
 * and moves typed arrays in and out of its memory. Every test file runs in its own process
 * (workerThreads: false), so each gets its own module instance; `fresh()` resets the bump
 * allocator at the start of a test.
 */
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { ExecutionContext } from "ava";
import { instantiate } from "../../host/module/loader.ts";

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const wasmPath = resolve(repoRoot, "build/fewmul-testing.wasm");

/** The exports of the test build; pointers are i32 addresses in `memory`, bool is 0/1. */
export interface Kernels {
  memory: WebAssembly.Memory;
  alloc(bytes: number): number;
  reset(): void;
  rng_seed(lo: number, hi: number): void;
  rng_next(): number;
  rng_save(p: number): void;
  rng_load(p: number): void;
  rng_field_bits(bits: number): void;
  rng_field(): number;
  rng_byte(): number;
  rng_half(): number;
  sample_row(w: number, n: number, mode: number, pos: number, neg: number): void;
  sign_row(w: number, n: number, mode: number, pos: number, neg: number): void;
  dense_forward(
    x: number, nIn: number, batch: number, w: number, nOut: number, mode: number, stochastic: number,
    z: number, rowPos: number, rowNeg: number, keep: number,
  ): void;
  dense_backward(
    d: number, nOut: number, batch: number, kept: number, nIn: number, mode: number, act: number, dPrev: number,
  ): void;
  norm_forward(
    z: number, n: number, rows: number, outShift: number,
    beta: number, runMean: number, runSpread: number, k: number,
    act: number, online: number, statShift: number,
  ): void;
  norm_backward(
    d: number, n: number, rows: number, log2Batch: number, k: number, beta: number,
    exponent: number, outShift: number, lrShift: number, out: number, hidden: number,
    grad: number, online: number,
  ): number;
  unit_scale(spread: number): number;
  quantize_exponent(x: number, lo: number, hi: number): number;
  stochastic_shift(v: number, s: number): number;
  dense_update(
    x: number, nIn: number, batch: number, d: number, nOut: number, w: number, acc: number,
    qbp: number, lo: number, hi: number, shift: number,
  ): void;
  hinge_backward(y: number, labels: number, n: number, batch: number): void;
  count_correct(y: number, labels: number, n: number, batch: number): number;
  last_loss_sum(): number;
  crc32(crc: number, ptr: number, len: number): number;
  // Conv-net kernels (assembly/kernels/conv.ts, pool.ts).
  /** Output rows y0 <= y < y1 only: 0 and h, or a band of one image (batch 1). */
  patches(img: number, h: number, w: number, c: number, batch: number, p: number, back: number, y0: number, y1: number): void;
  pool_forward(x: number, h: number, w: number, c: number, batch: number, out: number): void;
  /** In place: the pooled errors are the last quarter of dIn. */
  pool_backward(x: number, h: number, w: number, c: number, batch: number, dIn: number): void;
  floor_div(s: bigint, n: number): bigint;
}

// Loaded like the device module (host/module/loader.ts: @assemblyscript/loader, flash imports).
const loaded = instantiate({ path: wasmPath });
export const k = loaded.exports as unknown as Kernels;
/** Typed views of the kernels' memory. */
export const mem = loaded.mem;

/** Frees every buffer of the previous test. */
export function fresh(): void { k.reset(); }

type Typed = Uint8Array | Int16Array | Int32Array | Uint32Array;

/** Allocates `bytes` zeroed bytes. */
export function alloc(bytes: number): number {
  const p = k.alloc(Math.max(bytes, 4));
  mem.u8(p, Math.max(bytes, 4)).fill(0);
  return p;
}

/** Copies a typed array into fresh module memory, returns its address. */
export function put(a: Typed): number {
  const p = alloc(a.byteLength);
  mem.write(p, a);
  return p;
}

export function getU8(p: number, n: number): Uint8Array { return mem.read(p, n); }
export function getI16(p: number, n: number): Int16Array { return mem.i16(p, n).slice(); }
export function getI32(p: number, n: number): Int32Array { return mem.i32(p, n).slice(); }
export function getU32(p: number, n: number): Uint32Array { return mem.u32(p, n).slice(); }

/** The module's four xorshift128 words (x, y, z, w). */
export function rngState(): number[] {
  const p = alloc(16);
  k.rng_save(p);
  return Array.from(getU32(p, 4));
}

/** Loads the four xorshift128 words (and empties the three streams). */
export function rngLoad(words: number[]): void {
  k.rng_load(put(Uint32Array.from(words)));
}

/**
 * Exact element-wise comparison that stays fast and readable on 200k-element arrays:
 * reports the number of mismatches and the first few, with (row, col) when `cols` is given.
 */
export function sameArray(
  t: ExecutionContext, got: ArrayLike<number>, want: ArrayLike<number>, label: string, cols?: number,
): void {
  if (got.length !== want.length) {
    t.fail(`${label}: length ${got.length}, expected ${want.length}`);
    return;
  }
  const bad: string[] = [];
  let count = 0;
  for (let i = 0; i < want.length; i++) {
    if (got[i] !== want[i]) {
      count++;
      if (bad.length < 8) {
        const at = cols ? `[${Math.floor(i / cols)}][${i % cols}]` : `[${i}]`;
        bad.push(`${at} got ${got[i]} want ${want[i]}`);
      }
    }
  }
  if (count === 0) t.pass();
  else t.fail(`${label}: ${count}/${want.length} differ: ${bad.join("; ")}`);
}
