import test from "ava";
import type { ExecutionContext } from "ava";
import { Gen } from "./gen.ts";
import { denseUpdate, rngFor } from "./oracle.ts";
import { alloc, fresh, getI16, k, put, rngState, sameArray } from "./wasm.ts";

test.beforeEach(() => fresh());

interface UpdIn {
  x: Uint8Array; nIn: number; batch: number; d: Int32Array; nOut: number; w: Int16Array;
  qbp: boolean; lo: number; hi: number; shift: number;
}

function wasmUpdate(a: UpdIn): Int16Array {
  const w = put(a.w);
  k.dense_update(put(a.x), a.nIn, a.batch, put(a.d), a.nOut, w, alloc((a.nOut + a.batch) * 4), a.qbp ? 1 : 0, a.lo, a.hi, a.shift);
  return getI16(w, a.nIn * a.nOut);
}

function compareUpdate(t: ExecutionContext, a: UpdIn, seed: readonly [number, number], label: string) {
  k.rng_seed(...seed);
  const got = wasmUpdate(a);
  const o = rngFor(...seed);
  const want = denseUpdate(o, a.x, a.nIn, a.batch, a.d, a.nOut, a.w, a.qbp, a.lo, a.hi, a.shift);
  sameArray(t, got, want, `w ${label}`, a.nOut);
  t.deepEqual(rngState(), o.gen.state(), `generator ${label}`);
  t.deepEqual([k.rng_byte(), k.rng_half()], [o.byte(), o.half()], `stream positions ${label}`);
}

// x = [[3, 0], [1, 2]] (x[b][i]), d = [[10, -20], [5, 7]], w = [[100, -16380], [2^14, 0]].
const X = Uint8Array.from([3, 0, 1, 2]);
const D = Int32Array.from([10, -20, 5, 7]);
const W = Int16Array.from([100, -16380, 16384, 0]);

test("dense_update without QBP subtracts the exact products row by row, by hand", (t) => {
  // Row 0: acc = 3 · [10, -20] + 1 · [5, 7] = [35, -53]; row 1: acc = 2 · [5, 7] = [10, 14].
  // Shift 0: w = [[100 - 35, -16380 + 53], [16384 - 10, 0 - 14]].
  const base = { x: X, nIn: 2, batch: 2, d: D, nOut: 2, w: W, qbp: false, lo: 0, hi: 8 };
  t.deepEqual(Array.from(wasmUpdate({ ...base, shift: 0 })), [65, -16327, 16374, -14]);
  // Shift 10: 35840 and -54272 clip row 0 to -2^14 and +2^14; row 1: 16384 - 10240, -14336.
  t.deepEqual(Array.from(wasmUpdate({ ...base, shift: 10 })), [-16384, 16384, 6144, -14336]);
});

test("dense_update with QBP shifts d by q - lo and skips zero inputs, by hand", (t) => {
  // hi 6, lo 2: x = [[4, 255], [8, 0]]; 4 -> q 2 and 8 -> q 3 (x - 2^f = 0: never rounded up),
  // 255 -> 6 (saturated), 0 skipped. Row 0: acc = [10, -20] << 0 + [5, 7] << 1 = [20, -6];
  // row 1: [10, -20] << 4 = [160, -320]. Shift 0: w = 0 - acc.
  const base = { x: Uint8Array.from([4, 255, 8, 0]), nIn: 2, batch: 2, d: D, nOut: 2, w: new Int16Array(4), qbp: true, lo: 2, hi: 6 };
  k.rng_seed(1, 1);
  t.deepEqual(Array.from(wasmUpdate({ ...base, shift: 0 })), [-20, 6, -160, 320]);
  // Shift -1 on even sums is exact whatever the dither: [-10, 3, -80, 160].
  k.rng_seed(1, 1);
  t.deepEqual(Array.from(wasmUpdate({ ...base, shift: -1 })), [-10, 3, -80, 160]);
});

test("dense_update matches the oracle on random shapes, QBP on and off, all windows", (t) => {
  const g = new Gen(60);
  for (const nOut of [10, 33, 70]) {
    for (const batch of [1, 4, 32]) {
      for (const nIn of [1, 10, 50]) {
        for (const qbp of [true, false]) {
          const pixels = g.real() < 0.5;
          const hi = pixels ? 8 : 6;
          const lo = Math.max(0, hi - g.int(1, 8) + 1);
          compareUpdate(t, {
            x: pixels ? g.pixels(batch * nIn) : g.activations(batch * nIn), nIn, batch,
            d: g.deltas(batch * nOut), nOut, w: g.weights(nIn * nOut), qbp, lo, hi, shift: g.int(-30, 6),
          }, [g.u32(), g.u32()], `${qbp ? "qbp" : "exact"} [${lo}, ${hi}] ${nIn}x${nOut} batch ${batch}`);
        }
      }
    }
  }
});

test("dense_update reaches the largest sums exactly (batch 256, x = 255, |d| = 2^14 - 1)", (t) => {
  // Exact: 256 · 255 · 16383 = 1069482240 < 2^30; QBP window 8 at hi 8: 256 · 16383 << 7.
  // At shift -30 the dither (up to 2^30 - 2^14) is added to these sums.
  const g = new Gen(61);
  const nIn = 2, nOut = 10, batch = 256;
  const x = new Uint8Array(batch * nIn).fill(255);
  const d = new Int32Array(batch * nOut);
  for (let b = 0; b < batch; b++) for (let j = 0; j < nOut; j++) d[b * nOut + j] = j % 2 === 0 ? 16383 : -16383;
  for (const qbp of [false, true]) {
    for (const shift of [-30, -29, -16, -1, 0, 5]) {
      compareUpdate(t, { x, nIn, batch, d, nOut, w: g.weights(nIn * nOut), qbp, lo: 1, hi: 8, shift },
        [g.u32(), g.u32()], `${qbp ? "qbp" : "exact"} shift ${shift}`);
    }
  }
  // x = 1 everywhere: only the lowest window exponent or zero.
  compareUpdate(t, { x: new Uint8Array(batch * nIn).fill(1), nIn, batch, d, nOut, w: g.weights(nIn * nOut), qbp: true, lo: 3, hi: 8, shift: -12 },
    [g.u32(), g.u32()], "x = 1");
});

test("dense_update at MNIST size (784 x 256, batch 32) matches the oracle, QBP on and off", (t) => {
  const g = new Gen(62);
  for (const qbp of [true, false]) {
    compareUpdate(t, {
      x: g.pixels(32 * 784), nIn: 784, batch: 32, d: g.deltas(32 * 256), nOut: 256, w: g.weights(784 * 256),
      qbp, lo: 1, hi: 8, shift: qbp ? -19 : -26,
    }, [g.u32(), g.u32()], qbp ? "qbp" : "exact");
  }
});

test("dense_update sums QBP's top and next exponents apart in any sample order (x = 2^7 and 2^8 - 1, interleaved)", (t) => {
  // hi 8: x = 128 = 2^7 is never rounded up (x - 2^f = 0), x = 255 becomes 2^8 unless its draw
  // falls in the 1/128 below: both classes of update.ts's Horner sums, listed in every order
  // (a top one after next ones moves the first of those to the end). 20 outputs: two blocks of
  // eight and a tail of four. Windows 8, 2 and 1 (top 2^0: no next class).
  const g = new Gen(63);
  const nIn = 3, nOut = 20, batch = 24;
  const patterns = [[128, 255], [255, 128, 128], [128, 128, 128, 255, 0]];
  const x = new Uint8Array(batch * nIn);
  for (let b = 0; b < batch; b++) for (let i = 0; i < nIn; i++) x[b * nIn + i] = patterns[i][b % patterns[i].length];
  for (const lo of [1, 7, 8]) {
    compareUpdate(t, { x, nIn, batch, d: g.deltas(batch * nOut), nOut, w: g.weights(nIn * nOut), qbp: true, lo, hi: 8, shift: -9 },
      [g.u32(), g.u32()], `lo ${lo}`);
  }
});
