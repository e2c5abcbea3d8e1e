/**
 * The conv-net kernels (assembly/kernels/conv.ts, pool.ts) against conv-oracle.ts, the plain
 * reading of docs/model-format.md "Convolutional nets": exact integers, same random draws.
 */
import test from "ava";
import * as oracle from "./conv-oracle.ts";
import { Gen } from "./gen.ts";
import { BC, TC, packRows, rngFor, unitScale, wordsFor } from "./oracle.ts";
import { alloc, fresh, getI16, getI32, getU32, getU8, k, put, rngState, sameArray } from "./wasm.ts";

test.beforeEach(() => fresh());

/** Shapes that cover 1-pixel sides (no neighbours), non-square images, several words of outputs. */
const SHAPES: oracle.Geometry[] = [
  { h: 3, w: 3, cin: 1, cout: 1, batch: 1 },
  { h: 1, w: 5, cin: 2, cout: 3, batch: 2 },
  { h: 4, w: 1, cin: 3, cout: 2, batch: 2 },
  { h: 5, w: 6, cin: 3, cout: 33, batch: 2 },
  { h: 2, w: 2, cin: 4, cout: 64, batch: 3 },
  { h: 7, w: 4, cin: 5, cout: 8, batch: 1 },
];

const modeName = (m: number) => (m === TC ? "TC" : "BC");
const keptWords = (g: oracle.Geometry, mode: number) => 9 * g.cin * wordsFor(g.cout) * (mode === TC ? 2 : 1);

/** conv_sample into a fresh kept buffer. */
function wasmSample(w: Int16Array, g: oracle.Geometry, mode: number, stochastic: boolean): Uint32Array {
  const kept = alloc(keptWords(g, mode) * 4);
  k.conv_sample(put(w), g.cin, g.cout, mode, stochastic ? 1 : 0, kept);
  return getU32(kept, keptWords(g, mode));
}

test("conv_sample draws the 9·cin rows in order (ky, kx, ci), as dense rows, and leaves the generator where the document does", (t) => {
  const gen = new Gen(1);
  for (const g of SHAPES) {
    for (const mode of [BC, TC]) {
      for (const bits of [1, 8, 16]) {
        fresh();
        const w = gen.weights(9 * g.cin * g.cout);
        k.rng_seed(5, 6);
        k.rng_field_bits(bits);
        const rng = rngFor(5, 6, bits);
        const got = wasmSample(w, g, mode, true);
        const s = oracle.convSample(rng, w, g, mode);
        sameArray(t, got, packRows(s, mode), `${modeName(mode)} randbits ${bits} ${JSON.stringify(g)}`);
        t.deepEqual(rngState(), rng.gen.state());
      }
      fresh();
      const w = gen.weights(9 * g.cin * g.cout);
      sameArray(t, wasmSample(w, g, mode, false), packRows(oracle.convSample(undefined, w, g, mode), mode), `${modeName(mode)} deterministic`);
    }
  }
});

test("conv_forward equals the document's sum over the valid 3x3 window (zero padding), BC and TC", (t) => {
  const gen = new Gen(2);
  for (const g of SHAPES) {
    for (const mode of [BC, TC]) {
      for (const pixels of [true, false]) {
        fresh();
        const n = g.batch * g.h * g.w;
        const x = pixels ? gen.pixels(n * g.cin, 0.4) : gen.activations(n * g.cin);
        const w = gen.weights(9 * g.cin * g.cout);
        const s = oracle.convSample(undefined, w, g, mode);
        const z = alloc(n * g.cout * 4);
        new Int32Array(k.memory.buffer, z, n * g.cout).fill(0x5a5a5a5a); // the kernel must clear z
        k.conv_forward(put(x), g.h, g.w, g.cin, g.batch, put(packRows(s, mode)), g.cout, mode, z);
        sameArray(t, getI32(z, n * g.cout), oracle.convForward(x, g, s, mode), `${modeName(mode)} ${JSON.stringify(g)}`, g.cout);
      }
    }
  }
});

test("conv_forward by hand: one +1 weight at (ky, kx) = (0, 2) moves the image up-right by one pixel", (t) => {
  const g = { h: 3, w: 3, cin: 1, cout: 1, batch: 1 };
  const s = Array.from({ length: 9 }, (_, r) => [r === 2 ? 1 : 0]);
  const z = alloc(36);
  k.conv_forward(put(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9])), 3, 3, 1, 1, put(packRows(s, TC)), 1, TC, z);
  // z(y, x) = in(y - 1, x + 1), 0 where that falls outside.
  t.deepEqual([...getI32(z, 9)], [0, 0, 0, 2, 3, 0, 5, 6, 0]);
});

test("conv_backward equals the document's transposed sum, 0 where the input activation is 0 or 255", (t) => {
  const gen = new Gen(3);
  for (const g of SHAPES) {
    for (const mode of [BC, TC]) {
      fresh();
      const n = g.batch * g.h * g.w;
      const act = gen.activations(n * g.cin);
      const d = gen.deltas(n * g.cout);
      const s = oracle.convSample(undefined, gen.weights(9 * g.cin * g.cout), g, mode);
      const out = alloc(n * g.cin * 4);
      new Int32Array(k.memory.buffer, out, n * g.cin).fill(0x5a5a5a5a);
      k.conv_backward(put(d), g.h, g.w, g.cout, g.batch, put(packRows(s, mode)), g.cin, mode, put(act), out);
      const want = oracle.convBackward(d, g, s, act);
      sameArray(t, getI32(out, n * g.cin), want, `${modeName(mode)} ${JSON.stringify(g)}`, g.cin);
      t.true(want.some((v, i) => v !== 0 && act[i] !== 0) && act.some((a) => a === 255), "the data exercises sums and masks");
    }
  }
});

test("pool_forward keeps the first maximum; pool_backward routes each error to it", (t) => {
  const gen = new Gen(4);
  for (const [h, w, c, batch] of [[2, 2, 1, 1], [4, 6, 3, 2], [8, 2, 5, 1], [2, 8, 16, 3]]) {
    fresh();
    // Few distinct values, so ties are common.
    const x = Uint8Array.from({ length: batch * h * w * c }, () => gen.pick([0, 0, 7, 7, 200, 255]));
    const out = alloc((x.length >> 2) || 4);
    const px = put(x);
    k.pool_forward(px, h, w, c, batch, out);
    const want = oracle.poolForward(x, h, w, c, batch);
    sameArray(t, getU8(out, x.length >> 2), want.out, `pool ${h}x${w}x${c} b${batch}`);
    const dOut = gen.deltas(x.length >> 2);
    const dIn = alloc(x.length * 4);
    new Int32Array(k.memory.buffer, dIn, x.length).fill(0x5a5a5a5a);
    k.pool_backward(put(dOut), px, h, w, c, batch, dIn);
    sameArray(t, getI32(dIn, x.length), oracle.poolBackward(dOut, x, h, w, c, batch), `unpool ${h}x${w}x${c} b${batch}`);
  }
  // By hand, one window with channels (1, 4, 4, 2) and (0, 0, 0, 0): argmax 1 and 0.
  fresh();
  const x = put(Uint8Array.of(1, 0, 4, 0, 4, 0, 2, 0));
  const dIn = alloc(32);
  k.pool_backward(put(Int32Array.of(5, 7)), x, 2, 2, 2, 1, dIn);
  t.deepEqual([...getI32(dIn, 8)], [0, 7, 5, 0, 0, 0, 0, 0]);
});

test("conv_quantize draws one exponent per input value in storage order, none for zeros", (t) => {
  const gen = new Gen(5);
  for (const [lo, hi] of [[1, 8], [0, 6], [5, 6]]) {
    fresh();
    const x = gen.activations(777);
    k.rng_seed(9, lo);
    const rng = rngFor(9, lo);
    const q = alloc(777);
    k.conv_quantize(put(x), 777, lo, hi, q);
    const want = oracle.quantizeAll(rng, x, lo, hi).map((e) => (e < 0 ? 255 : e - lo));
    sameArray(t, getU8(q, 777), want, `window [${lo}, ${hi}]`);
    t.deepEqual(rngState(), rng.gen.state());
  }
});

/** conv_update in the module; returns the new weights and the generator state. */
function wasmUpdate(x: Uint8Array, q: number[] | undefined, g: oracle.Geometry, d: Int32Array, w: Int16Array, shift: number) {
  const pw = put(w);
  const pq = q ? put(Uint8Array.from(q, (e) => (e < 0 ? 255 : e))) : 0;
  k.conv_update(put(x), pq, g.h, g.w, g.cin, g.batch, put(d), g.cout, pw, alloc(g.cout * 8), q ? 1 : 0, shift);
  return getI16(pw, w.length);
}

test("conv_update: QBP and exact weight gradients, stochastic rounding and clipping as the document says", (t) => {
  const gen = new Gen(6);
  for (const g of SHAPES) {
    for (const qbp of [true, false]) {
      for (const shift of [-30, -20, -9, 0]) {
        fresh();
        const n = g.batch * g.h * g.w;
        const x = gen.activations(n * g.cin);
        const d = gen.deltas(n * g.cout);
        const w = gen.weights(9 * g.cin * g.cout);
        const lo = 1;
        const q = qbp ? oracle.quantizeAll(rngFor(3, 4), x, lo, 6).map((e) => (e < 0 ? -1 : e - lo)) : undefined;
        k.rng_seed(7, 8);
        const rng = rngFor(7, 8);
        const got = wasmUpdate(x, q, g, d, w, shift);
        // The oracle takes exponents (q + lo) and subtracts lo itself.
        const want = oracle.convUpdate(rng, x, q?.map((e) => (e < 0 ? -1 : e + lo)), g, d, w, lo, shift);
        sameArray(t, got, want.w, `qbp ${qbp} shift ${shift} ${JSON.stringify(g)}`, g.cout);
        t.deepEqual(rngState(), rng.gen.state());
      }
    }
  }
});

test("conv_update narrows sums of 2^30 and more (64-bit accumulators) before the rounding", (t) => {
  // 16x16 pixels of 255, 8 samples, errors ±(2^14 - 1): a row's sum reaches 8 · 256 · 255 · 2^14 ≈ 2^33.
  const g = { h: 16, w: 16, cin: 1, cout: 2, batch: 8 };
  const n = g.batch * g.h * g.w;
  const x = new Uint8Array(n).fill(255);
  const d = Int32Array.from({ length: n * 2 }, (_, i) => (i % 2 ? -(2 ** 14 - 1) : 2 ** 14 - 1));
  const w = new Int16Array(18);
  k.rng_seed(1, 2);
  const rng = rngFor(1, 2);
  const got = wasmUpdate(x, undefined, g, d, w, -26);
  const want = oracle.convUpdate(rng, x, undefined, g, d, w, 0, -26);
  t.true(want.widest > 2 ** 32, `widest sum ${want.widest}`);
  sameArray(t, got, want.w, "narrowed update", 2);
  t.true(got.some((v) => v !== 0), "the narrowed sums still move the weights");
  t.deepEqual(rngState(), rng.gen.state());
});

test("the test build, conv kernels included, has no multiply and no floating-point instruction", async (t) => {
  // The conv kernels are not in the release module yet; the test build holds every kernel.
  const { readFileSync } = await import("node:fs");
  const { inspectModule } = await import("../../host/module/inspect.ts");
  const { wasmPath } = await import("./wasm.ts");
  const report = inspectModule(readFileSync(wasmPath));
  t.true(report.exports.includes("conv_update") && report.exports.includes("pool_backward"));
  t.is(report.multiplications, 0);
  t.is(report.floatInstructions, 0);
});

test("floor_div is floor(S / n) on 64-bit sums, negative ones included", (t) => {
  const cases: [bigint, number][] = [[0n, 1], [7n, 2], [-7n, 2], [-8n, 2], [123456789012345n, 784], [-123456789012345n, 784], [-1n, 3], [2n ** 62n, 7], [5n, 9]];
  for (const [s, n] of cases) t.is(k.floor_div(s, n), oracle.fdiv(s, n), `${s} / ${n}`);
});

/** conv-sized sums z: |z| up to 9·cin·255. */
function sums(gen: Gen, count: number, cin: number): Int32Array {
  const max = 9 * cin * 255;
  return Int32Array.from({ length: count }, () => gen.int(-max, max) >> gen.int(0, 8));
}

function wasmChannelForward(z: Int32Array, rows: number, c: number, bias: Int32Array, rm: Int32Array, rs: Int32Array, training: boolean, first: boolean) {
  const pk = alloc(c * 4), pm = put(rm), ps = put(rs), act = alloc(rows * c);
  k.channel_norm_forward(put(z), rows, c, 4, put(bias), pm, ps, pk, training ? 1 : 0, first ? 1 : 0, act);
  return { act: getU8(act, rows * c), k: getI32(pk, c), runMean: getI32(pm, c), runSpread: getI32(ps, c) };
}

test("channel_norm_forward: batch statistics over all positions (fdiv), running statistics, evaluation", (t) => {
  const gen = new Gen(7);
  for (const [rows, c, cin] of [[3 * 28 * 28, 4, 1], [2 * 7 * 7, 16, 8], [1, 3, 2], [5 * 3 * 5, 33, 64]]) {
    for (const [training, first] of [[true, true], [true, false], [false, false]]) {
      fresh();
      const z = sums(gen, rows * c, cin);
      const bias = Int32Array.from({ length: c }, () => gen.int(-40 * 256, 40 * 256));
      const rm = Int32Array.from({ length: c }, () => gen.int(-500, 500));
      const rs = Int32Array.from({ length: c }, () => gen.int(0, 3000));
      const got = wasmChannelForward(z, rows, c, bias, rm, rs, training, first);
      const want = oracle.channelNormForward(z, rows, c, bias, rm, rs, training, first);
      const label = `rows ${rows} c ${c} training ${training} first ${first}`;
      sameArray(t, got.act, want.act, `act ${label}`, c);
      sameArray(t, got.k, want.k, `k ${label}`);
      sameArray(t, got.runMean, want.runMean, `running mean ${label}`);
      sameArray(t, got.runSpread, want.runSpread, `running spread ${label}`);
    }
  }
});

function wasmChannelBackward(d: Int32Array, rows: number, c: number, kk: Int32Array, bias: Int32Array, exponent: number, lrShift: number, act: Uint8Array) {
  const pd = put(d), pb = put(bias);
  const e = k.channel_norm_backward(pd, rows, c, put(kk), pb, exponent, 4, lrShift, put(act));
  return { d: getI32(pd, rows * c), bias: getI32(pb, c), exponent: e };
}

test("channel_norm_backward: bias step, centred error with the projection term, renormalisation", (t) => {
  const gen = new Gen(8);
  for (const [rows, c, bits] of [[3 * 28 * 28, 4, 14], [2 * 7 * 7, 16, 20], [1, 3, 14], [6 * 5 * 5, 33, 26], [64 * 32 * 32, 2, 14]]) {
    for (const lrShift of [0, 6]) {
      fresh();
      const d = gen.deltas(rows * c, bits);
      const act = gen.activations(rows * c);
      const kk = Int32Array.from({ length: c }, () => unitScale(gen.int(0, 5000)));
      const bias = Int32Array.from({ length: c }, () => gen.int(-40 * 256, 40 * 256));
      k.rng_seed(11, rows);
      const rng = rngFor(11, rows);
      const got = wasmChannelBackward(d, rows, c, kk, bias, -20, lrShift, act);
      const want = oracle.channelNormBackward(rng, d, rows, c, kk, bias, -20, lrShift, act);
      const label = `rows ${rows} c ${c} |d| < 2^${bits} lr ${lrShift}`;
      sameArray(t, got.d, want.d, `d ${label}`, c);
      sameArray(t, got.bias, want.bias, `bias ${label}`);
      t.is(got.exponent, want.exponent, `exponent ${label}`);
      t.deepEqual(rngState(), rng.gen.state());
      t.true(got.d.every((v) => Math.abs(v) <= 2 ** 14), "renormalised below 2^14");
    }
  }
});

test("with 2^b rows the channel normalisation is the dense one (oracle.ts, steps 4 and 6)", async (t) => {
  const dense = await import("./oracle.ts");
  const gen = new Gen(9);
  const rows = 64, c = 5;
  const z = sums(gen, rows * c, 3);
  const bias = Int32Array.from({ length: c }, () => gen.int(-20 * 256, 20 * 256));
  const zero = new Int32Array(c);
  const got = wasmChannelForward(z, rows, c, bias, zero, zero, true, true);
  const want = dense.normForward(z, c, rows, 6, 4, bias, zero, zero, true, true, true);
  sameArray(t, got.act, want.y, "forward", c);
  fresh();
  const d = gen.deltas(rows * c);
  k.rng_seed(3, 3);
  const back = wasmChannelBackward(d, rows, c, got.k, bias, -10, 2, got.act);
  // The dense layer's bias shift is e + F - (s + 5 - b) - b = e + F - s - 5.
  const wantBack = dense.normBackward(rngFor(3, 3), d, c, rows, 6, got.k, bias, -10, 4, 2 + 5 - 6, got.act);
  sameArray(t, back.d, wantBack.d, "backward", c);
  sameArray(t, back.bias, wantBack.bias, "bias");
  t.is(back.exponent, wantBack.exponent);
});

