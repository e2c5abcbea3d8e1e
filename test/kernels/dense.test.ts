import test from "ava";
import type { ExecutionContext } from "ava";
import { Gen } from "./gen.ts";
import { BC, TC, denseBackward, denseForward, packRows, rngFor, wordsFor } from "./oracle.ts";
import { alloc, fresh, getI32, getU32, k, mem, put, rngState, sameArray } from "./wasm.ts";

test.beforeEach(() => fresh());

interface Fwd { z: Int32Array; kept: Uint32Array }

/** dense_forward in the module; `kept` is read back when `keep` is set. */
function wasmForward(
  x: Uint8Array, nIn: number, batch: number, w: Int16Array, nOut: number, mode: number, stochastic: boolean, keep = true,
): Fwd {
  const words = wordsFor(nOut);
  const keptWords = nIn * words * (mode === TC ? 2 : 1);
  const px = put(x), pw = put(w);
  const z = alloc(batch * nOut * 4);
  const rowPos = alloc(words * 4), rowNeg = alloc(words * 4);
  const kept = keep ? alloc(keptWords * 4) : 0;
  // Poison z: the kernel must clear it.
  mem.i32(z, batch * nOut).fill(0x5A5A5A5A);
  k.dense_forward(px, nIn, batch, pw, nOut, mode, stochastic ? 1 : 0, z, rowPos, rowNeg, kept);
  return { z: getI32(z, batch * nOut), kept: keep ? getU32(kept, keptWords) : new Uint32Array(0) };
}

function wasmBackward(
  d: Int32Array, nOut: number, batch: number, kept: Uint32Array, nIn: number, mode: number, act: Uint8Array,
): Int32Array {
  const out = alloc(batch * nIn * 4);
  mem.i32(out, batch * nIn).fill(0x5A5A5A5A);
  k.dense_backward(put(d), nOut, batch, put(kept), nIn, mode, put(act), out);
  return getI32(out, batch * nIn);
}

test("dense_forward with deterministic BC signs sums ±x by hand", (t) => {
  // w = [[1, -1, 0], [-5, 5, -2^14]] => signs [[+, -, +], [-, +, -]]; x = [[10, 20], [0, 255]]
  // z[0] = [10 - 20, -10 + 20, 10 - 20], z[1] = [-255, 255, -255]; rows packed 0b101, 0b010.
  const r = wasmForward(Uint8Array.from([10, 20, 0, 255]), 2, 2, Int16Array.from([1, -1, 0, -5, 5, -16384]), 3, BC, false);
  t.deepEqual(Array.from(r.z), [-10, 10, -10, -255, 255, -255]);
  t.deepEqual(Array.from(r.kept), [0b101, 0b010]);
});

test("dense_forward with deterministic TC signs skips the zero weights by hand", (t) => {
  // w = [[2^14, -2^14, 100], [-9000, 9000, 8192]] => [[+, -, 0], [-, +, 0]];
  // z[0] = [-10, 10, 0], z[1] = [-255, 255, 0]; kept = pos0, neg0, pos1, neg1 = 1, 2, 2, 1.
  const r = wasmForward(Uint8Array.from([10, 20, 0, 255]), 2, 2, Int16Array.from([16384, -16384, 100, -9000, 9000, 8192]), 3, TC, false);
  t.deepEqual(Array.from(r.z), [-10, 10, 0, -255, 255, 0]);
  t.deepEqual(Array.from(r.kept), [1, 2, 2, 1]);
});

test("dense_forward sampling ±2^14 weights is certain and uses one field per weight", (t) => {
  // BC at randbits 8: thresholds 256 (w = 2^14) and 0 (w = -2^14): the hand-made signs again,
  // and 6 fields = 2 generator words.
  k.rng_field_bits(8);
  k.rng_seed(3, 4);
  const r = wasmForward(Uint8Array.from([10, 20, 0, 255]), 2, 2, Int16Array.from([16384, -16384, 16384, -16384, 16384, -16384]), 3, BC, true);
  t.deepEqual(Array.from(r.z), [-10, 10, -10, -255, 255, -255]);
  const o = rngFor(3, 4, 8);
  o.next(); o.next();
  t.deepEqual(rngState(), o.gen.state());
});

test("dense_backward sums ±d through the kept rows and masks activations 0 and 255, by hand", (t) => {
  // BC rows [[+, -, +], [-, +, -]], d = [[1, 2, 3], [4, 5, 6]], act = [[7, 0], [255, 9]]:
  // d'[0] = [1 - 2 + 3, masked], d'[1] = [masked, -4 + 5 - 6].
  const d = Int32Array.from([1, 2, 3, 4, 5, 6]);
  t.deepEqual(Array.from(wasmBackward(d, 3, 2, Uint32Array.from([0b101, 0b010]), 2, BC, Uint8Array.from([7, 0, 255, 9]))), [2, 0, 0, -5]);
  // TC rows [[+, -, 0], [-, +, 0]] (pos, neg words per row), act = [[7, 9], [254, 1]]:
  // d'[0] = [1 - 2, -1 + 2], d'[1] = [4 - 5, -4 + 5].
  t.deepEqual(Array.from(wasmBackward(d, 3, 2, Uint32Array.from([1, 2, 2, 1]), 2, TC, Uint8Array.from([7, 9, 254, 1]))), [-1, 1, -1, 1]);
});

function compareForward(
  t: ExecutionContext, g: Gen, nIn: number, nOut: number, batch: number, mode: number, stochastic: boolean,
  x: Uint8Array, w: Int16Array, label: string,
) {
  const bits = g.pick([1, 2, 4, 8]);
  const lo = g.u32(), hi = g.u32();
  k.rng_field_bits(bits);
  k.rng_seed(lo, hi);
  const got = wasmForward(x, nIn, batch, w, nOut, mode, stochastic);
  const o = rngFor(lo, hi, bits);
  const want = denseForward(o, x, nIn, batch, w, nOut, mode, stochastic);
  const tag = `${label} ${mode === BC ? "BC" : "TC"} ${stochastic ? `stochastic randbits ${bits}` : "deterministic"} ${nIn}x${nOut} batch ${batch}`;
  sameArray(t, got.z, want.z, `z ${tag}`, nOut);
  sameArray(t, got.kept, packRows(want.s, mode), `kept ${tag}`);
  t.deepEqual(rngState(), o.gen.state(), `generator ${tag}`);
  return want;
}

test("dense_forward matches the oracle on random shapes, BC/TC, stochastic and deterministic", (t) => {
  const g = new Gen(20);
  for (const nOut of [10, 33, 70]) {
    for (const batch of [1, 4, 32]) {
      for (const nIn of [1, 7, 50]) {
        for (const mode of [BC, TC]) {
          for (const stochastic of [true, false]) {
            const x = nIn > 7 ? g.pixels(batch * nIn) : g.activations(batch * nIn);
            compareForward(t, g, nIn, nOut, batch, mode, stochastic, x, g.weights(nIn * nOut), "random");
          }
        }
      }
    }
  }
});

test("dense_forward reaches its extreme sums exactly (all inputs 255, weights ±2^14 and 0)", (t) => {
  const g = new Gen(21);
  for (const mode of [BC, TC]) {
    for (const value of [16384, -16384, 0, 8193, -8193]) {
      const x = new Uint8Array(32 * 784).fill(255);
      const w = new Int16Array(784 * 33).fill(value);
      const want = compareForward(t, g, 784, 33, 32, mode, false, x, w, `w = ${value}`);
      if (value === 16384) t.is(want.z[0], 784 * 255);
      if (value === -16384) t.is(want.z[0], -784 * 255);
    }
  }
  // x = 1 everywhere, stochastic.
  const x = new Uint8Array(4 * 70).fill(1);
  compareForward(t, g, 70, 70, 4, BC, true, x, g.weights(70 * 70), "x = 1");
});

test("dense_forward without keep writes only z", (t) => {
  const g = new Gen(22);
  const x = g.pixels(4 * 40), w = g.weights(40 * 33);
  k.rng_field_bits(4);
  k.rng_seed(9, 9);
  const got = wasmForward(x, 40, 4, w, 33, TC, true, false);
  const want = denseForward(rngFor(9, 9, 4), x, 40, 4, w, 33, TC, true);
  sameArray(t, got.z, want.z, "z", 33);
});

test("dense_backward matches the oracle on random kept rows, errors and ReLU masks", (t) => {
  const g = new Gen(23);
  for (const nOut of [10, 33, 70]) {
    for (const batch of [1, 4, 32]) {
      for (const nIn of [1, 10, 33, 70]) {
        for (const mode of [BC, TC]) {
          const w = g.weights(nIn * nOut);
          const { s } = denseForward(rngFor(g.u32(), 1, 2), new Uint8Array(nIn).fill(1), nIn, 1, w, nOut, mode, true);
          const d = g.deltas(batch * nOut);
          const act = g.activations(batch * nIn);
          const got = wasmBackward(d, nOut, batch, packRows(s, mode), nIn, mode, act);
          sameArray(t, got, denseBackward(d, nOut, batch, s, nIn, act), `${mode === BC ? "BC" : "TC"} ${nIn}x${nOut} batch ${batch}`, nIn);
        }
      }
    }
  }
});

test("dense_backward reaches its extreme sums exactly (|d| = 2^14 - 1 on 4096 outputs)", (t) => {
  for (const mode of [BC, TC]) {
    const nOut = 4096, nIn = 3, batch = 2;
    const s = [new Array(nOut).fill(1), new Array(nOut).fill(-1), Array.from({ length: nOut }, (_, j) => (j % 3) - 1)];
    const d = new Int32Array(batch * nOut).fill(16383);
    d.fill(-16383, nOut);
    const act = Uint8Array.from([1, 254, 128, 1, 254, 128]);
    if (mode === BC) s[2] = s[2].map((v) => (v === 0 ? 1 : v));
    const got = wasmBackward(d, nOut, batch, packRows(s, mode), nIn, mode, act);
    const want = denseBackward(d, nOut, batch, s, nIn, act);
    sameArray(t, got, want, `${mode === BC ? "BC" : "TC"}`, nIn);
    t.is(want[0], 4096 * 16383);
  }
});

test("forward then backward at MNIST size (784 x 256, batch 32) matches the oracle, BC and TC", (t) => {
  const g = new Gen(24);
  for (const mode of [BC, TC]) {
    const nIn = 784, nOut = 256, batch = 32;
    const x = g.pixels(batch * nIn);
    const w = g.weights(nIn * nOut);
    const lo = g.u32(), hi = g.u32();
    k.rng_field_bits(8);
    k.rng_seed(lo, hi);
    const got = wasmForward(x, nIn, batch, w, nOut, mode, true);
    const o = rngFor(lo, hi, 8);
    const want = denseForward(o, x, nIn, batch, w, nOut, mode, true);
    sameArray(t, got.z, want.z, "z", nOut);
    sameArray(t, got.kept, packRows(want.s, mode), "kept");
    t.deepEqual(rngState(), o.gen.state());
    const d = g.deltas(batch * nOut);
    const act = g.activations(batch * nIn);
    sameArray(t, wasmBackward(d, nOut, batch, got.kept, nIn, mode, act), denseBackward(d, nOut, batch, want.s, nIn, act), "d'", nIn);
  }
});
