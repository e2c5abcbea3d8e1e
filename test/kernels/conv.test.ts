/**
 * The conv-net kernels (assembly/kernels/conv.ts, pool.ts) and their composition with the
 * dense kernels, as assembly/model.ts runs a conv layer, against conv-oracle.ts, the plain
 * reading of docs/model-format.md "Convolutional nets": exact integers, same random draws.
 */
import test from "ava";
import * as oracle from "./conv-oracle.ts";
import { Gen } from "./gen.ts";
import { BC, TC, denseUpdate, packRows, rngFor, unitScale, wordsFor } from "./oracle.ts";
import { alloc, fresh, getI16, getI32, getU32, getU8, k, mem, put, rngState, sameArray } from "./wasm.ts";

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
const rowsOf = (g: oracle.Geometry) => g.batch * g.h * g.w;

/** Kept rows [9·cin] back to s[r][co] in {-1, 0, +1}. */
function unpackRows(kept: Uint32Array, g: oracle.Geometry, mode: number): number[][] {
  const words = wordsFor(g.cout), per = words * (mode === TC ? 2 : 1);
  return Array.from({ length: 9 * g.cin }, (_, r) => Array.from({ length: g.cout }, (_, co) => {
    const bit = (v: number) => (kept[r * per + v * words + (co >> 5)] >>> (co & 31)) & 1;
    if (mode === TC) return bit(0) - bit(1);
    return bit(0) ? 1 : -1;
  }));
}

/** The module's patches of x. */
function wasmPatches(x: Uint8Array, g: oracle.Geometry): number {
  const p = alloc(rowsOf(g) * 9 * g.cin);
  mem.u8(p, rowsOf(g) * 9 * g.cin).fill(0xA5); // every value must be written
  k.patches(put(x), g.h, g.w, g.cin, g.batch, p, 0, 0, g.h);
  return p;
}

test("patches: the 3x3 window of every pixel in the order (ky, kx, c), 0 outside the image", (t) => {
  const gen = new Gen(1);
  for (const g of SHAPES) {
    fresh();
    const x = gen.pixels(rowsOf(g) * g.cin, 0.3);
    const got = getU8(wasmPatches(x, g), rowsOf(g) * 9 * g.cin);
    sameArray(t, got, oracle.patchesOf(x, g), JSON.stringify(g), 9 * g.cin);
  }
});

test("patches back: every patch value is added onto the image value it was read from", (t) => {
  const gen = new Gen(11);
  for (const g of SHAPES) {
    for (const batch of [1, g.batch]) {
      fresh();
      const n = batch * g.h * g.w;
      const p = gen.deltas(n * 9 * g.cin);
      const start = gen.deltas(n * g.cin);
      const img = put(start);
      k.patches(img, g.h, g.w, g.cin, batch, put(p), 1, 0, g.h);
      // The adjoint of the forward, from the oracle's patch of index positions.
      const want = Array.from(start);
      const where = oracle.patchesOf(Array.from({ length: n * g.cin }, (_, i) => i + 1), { ...g, batch });
      where.forEach((src, i) => { if (src !== 0) want[src - 1] += p[i]; });
      sameArray(t, getI32(img, n * g.cin), want, `${JSON.stringify(g)} batch ${batch}`, g.cin);
    }
  }
});

/** The conv forward as model.ts runs it: patches, then dense_forward; returns z and the kept rows. */
function wasmConvForward(x: Uint8Array, g: oracle.Geometry, w: Int16Array, mode: number, stochastic: boolean) {
  const rows = rowsOf(g), words = wordsFor(g.cout), keptWords = 9 * g.cin * words * (mode === TC ? 2 : 1);
  const p = wasmPatches(x, g);
  const z = alloc(rows * g.cout * 4), kept = alloc(keptWords * 4);
  mem.i32(z, rows * g.cout).fill(0x5a5a5a5a); // the kernel must clear z
  k.dense_forward(p, 9 * g.cin, rows, put(w), g.cout, mode, stochastic ? 1 : 0, z, alloc(words * 4), alloc(words * 4), kept);
  return { z: getI32(z, rows * g.cout), kept: getU32(kept, keptWords), p };
}

test("conv forward (patches, dense_forward) equals the document's sum over the valid 3x3 window, BC and TC", (t) => {
  const gen = new Gen(2);
  for (const g of SHAPES) {
    for (const mode of [BC, TC]) {
      for (const stochastic of [true, false]) {
        fresh();
        const x = stochastic ? gen.pixels(rowsOf(g) * g.cin, 0.4) : gen.activations(rowsOf(g) * g.cin);
        const w = gen.weights(9 * g.cin * g.cout);
        k.rng_seed(3, 4);
        const got = wasmConvForward(x, g, w, mode, stochastic);
        // The rows the forward drew (rows no patch uses are not drawn; they add nothing).
        const s = stochastic ? unpackRows(got.kept, g, mode) : oracle.convSample(undefined, w, g, mode);
        sameArray(t, got.z, oracle.convForward(x, g, s, mode), `${modeName(mode)} ${stochastic ? "sampled" : "signs"} ${JSON.stringify(g)}`, g.cout);
      }
    }
  }
});

test("conv forward by hand: one +1 weight at (ky, kx) = (0, 2) moves the image up-right by one pixel", (t) => {
  const g = { h: 3, w: 3, cin: 1, cout: 1, batch: 1 };
  const w = Int16Array.from({ length: 9 }, (_, r) => (r === 2 ? 16384 : 0)); // TC signs: 0 below 1/2
  const got = wasmConvForward(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]), g, w, TC, false);
  // z(y, x) = in(y - 1, x + 1), 0 where that falls outside.
  t.deepEqual([...got.z], [0, 0, 0, 2, 3, 0, 5, 6, 0]);
});

test("conv error backprop (dense_backward and patches back per image row, as model.ts) equals the document's transposed sum, 0 where the input is 0 or 255", (t) => {
  const gen = new Gen(3);
  for (const g of SHAPES) {
    for (const mode of [BC, TC]) {
      fresh();
      const n = rowsOf(g), pixels = g.h * g.w;
      const act = gen.activations(n * g.cin);
      const d = gen.deltas(n * g.cout);
      const s = oracle.convSample(undefined, gen.weights(9 * g.cin * g.cout), g, mode);
      const p = wasmPatches(act, g), kept = put(packRows(s, mode)), pd = put(d);
      const out = alloc(n * g.cin * 4), patchErr = alloc(g.w * 9 * g.cin * 4); // one image row's
      for (let b = 0; b < g.batch; b++) {
        for (let y = 0; y < g.h; y++) {
          const row = b * pixels + y * g.w;
          k.dense_backward(pd + row * g.cout * 4, g.cout, g.w, kept, 9 * g.cin, mode, p + row * 9 * g.cin, patchErr);
          k.patches(out + b * pixels * g.cin * 4, g.h, g.w, g.cin, 1, patchErr, 1, y, y + 1);
        }
      }
      const want = oracle.convBackward(d, g, s, act);
      sameArray(t, getI32(out, n * g.cin), want, `${modeName(mode)} ${JSON.stringify(g)}`, g.cin);
      t.true(want.some((v, i) => v !== 0 && act[i] !== 0) && act.some((a) => a === 255), "the data exercises sums and masks");
    }
  }
});

test("pool_forward keeps the first maximum; pool_backward routes each error to it, in place from dIn's last quarter", (t) => {
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
    const din = new Int32Array(k.memory.buffer, dIn, x.length);
    din.fill(0x5a5a5a5a);
    din.set(dOut, x.length - dOut.length);
    k.pool_backward(px, h, w, c, batch, dIn);
    sameArray(t, getI32(dIn, x.length), oracle.poolBackward(dOut, x, h, w, c, batch), `unpool ${h}x${w}x${c} b${batch}`);
  }
  // By hand, one window with channels (1, 4, 4, 2) and (0, 0, 0, 0): argmax 1 and 0.
  fresh();
  const x = put(Uint8Array.of(1, 0, 4, 0, 4, 0, 2, 0));
  const dIn = put(Int32Array.of(-1, -1, -1, -1, -1, -1, 5, 7));
  k.pool_backward(x, 2, 2, 2, 1, dIn);
  t.deepEqual([...getI32(dIn, 8)], [0, 7, 5, 0, 0, 0, 0, 0]);
  // The last window's argmax is its own error slot: (0, 0, 0, 9) in one channel.
  fresh();
  const last = put(Int32Array.of(-1, -1, -1, 3));
  k.pool_backward(put(Uint8Array.of(0, 0, 0, 9)), 2, 2, 1, 1, last);
  t.deepEqual([...getI32(last, 4)], [0, 0, 0, 3]);
});

/** The conv weight update as model.ts runs it: one dense_update over all the patch rows. */
function wasmConvUpdate(x: Uint8Array, g: oracle.Geometry, d: Int32Array, w: Int16Array, qbp: boolean, lo: number, hi: number, shift: number) {
  const p = wasmPatches(x, g), pd = put(d), pw = put(w), acc = alloc((g.cout + 256) * 4 + g.cout * 8);
  k.dense_update(p, 9 * g.cin, rowsOf(g), pd, g.cout, pw, acc, qbp ? 1 : 0, lo, hi, shift);
  return getI16(pw, w.length);
}

test("conv weight update (dense_update over the patches): exact products equal the document's direct sum", (t) => {
  const gen = new Gen(6);
  for (const g of SHAPES) {
    for (const shift of [-30, -20, -9, 0]) {
      fresh();
      const x = gen.activations(rowsOf(g) * g.cin), d = gen.deltas(rowsOf(g) * g.cout), w = gen.weights(9 * g.cin * g.cout);
      k.rng_seed(7, 8);
      const rng = rngFor(7, 8);
      const got = wasmConvUpdate(x, g, d, w, false, 0, 8, shift);
      sameArray(t, got, oracle.convUpdate(rng, x, g, d, w, shift), `shift ${shift} ${JSON.stringify(g)}`, g.cout);
      t.deepEqual(rngState(), rng.gen.state());
    }
  }
});

test("conv weight update with QBP and more than 256 rows: the dense rule on all the patch rows at once", (t) => {
  const gen = new Gen(16);
  for (const g of [{ h: 12, w: 10, cin: 2, cout: 5, batch: 4 }, { h: 5, w: 6, cin: 3, cout: 33, batch: 2 }, { h: 16, w: 17, cin: 1, cout: 9, batch: 4 }]) {
    for (const qbp of [true, false]) {
      fresh();
      const x = gen.activations(rowsOf(g) * g.cin), d = gen.deltas(rowsOf(g) * g.cout), w = gen.weights(9 * g.cin * g.cout);
      k.rng_seed(5, 9);
      const rng = rngFor(5, 9);
      const got = wasmConvUpdate(x, g, d, w, qbp, 1, 6, -20);
      const want = denseUpdate(rng, oracle.patchesOf(x, g), 9 * g.cin, rowsOf(g), d, g.cout, w, qbp, 1, 6, -20);
      sameArray(t, got, want, `qbp ${qbp} ${JSON.stringify(g)}`, g.cout);
      t.deepEqual(rngState(), rng.gen.state());
    }
  }
});

test("conv weight update: sums over more than 2^30 saturate at ±(2^30 − 1), each sign", (t) => {
  // 1,088 rows of the largest error (2^14, the sign alternating by output) times pixel 255:
  // about 2^32 per sum.
  const g = { h: 16, w: 17, cin: 1, cout: 4, batch: 4 };
  fresh();
  const x = new Uint8Array(rowsOf(g)).fill(255);
  const d = Int32Array.from({ length: rowsOf(g) * g.cout }, (_, i) => (i % 2 === 0 ? 1 : -1) << 14);
  const w = new Int16Array(9 * g.cout);
  k.rng_seed(3, 4);
  const rng = rngFor(3, 4);
  const got = wasmConvUpdate(x, g, d, w, false, 0, 8, -20);
  sameArray(t, got, oracle.convUpdate(rng, x, g, d, w, -20), "saturated", g.cout);
  // (2^30 − 1 + dither) >> 20 = 1,023 or 1,024: every weight moved against its sum's sign
  for (let i = 0; i < got.length; i++) t.true(Math.abs(got[i]) >= 1023 && Math.sign(got[i]) === (i % 2 === 0 ? -1 : 1), `w[${i}] = ${got[i]}`);
});

test("the test build, conv kernels included, has no multiply and no floating-point instruction", async (t) => {
  const { readFileSync } = await import("node:fs");
  const { inspectModule } = await import("../../host/module/inspect.ts");
  const { wasmPath } = await import("./wasm.ts");
  const report = inspectModule(readFileSync(wasmPath));
  t.true(report.exports.includes("patches") && report.exports.includes("pool_backward"));
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

function wasmChannelForward(z: Int32Array, rows: number, c: number, bias: Int32Array, rm: Int32Array, rs: Int32Array, training: boolean, first: boolean, statShift: number) {
  const pk = alloc(c * 4), pm = put(rm), ps = put(rs), act = alloc(rows * c);
  k.norm_forward(put(z), c, rows, 4, put(bias), pm, ps, pk, act, -1, !training ? -1 : first ? 0 : statShift);
  return { act: getU8(act, rows * c), k: getI32(pk, c), runMean: getI32(pm, c), runSpread: getI32(ps, c) };
}

test("norm_forward per channel (rows = positions): batch statistics over all positions (fdiv), running statistics stored 8 bits finer (training and calibration rates), evaluation", (t) => {
  const gen = new Gen(7);
  for (const [rows, c, cin] of [[3 * 28 * 28, 4, 1], [2 * 7 * 7, 16, 8], [1, 3, 2], [5 * 3 * 5, 33, 64]]) {
    for (const [training, first, statShift] of [[true, true, 4], [true, false, 4], [true, false, 9], [false, false, 0]] as const) {
      fresh();
      const z = sums(gen, rows * c, cin);
      const bias = Int32Array.from({ length: c }, () => gen.int(-40 * 256, 40 * 256));
      const rm = Int32Array.from({ length: c }, () => gen.int(-500 * 256, 500 * 256));
      const rs = Int32Array.from({ length: c }, () => gen.int(0, 3000 * 256));
      const got = wasmChannelForward(z, rows, c, bias, rm, rs, training, first, statShift);
      const want = oracle.channelNormForward(z, rows, c, bias, rm, rs, training, first, statShift);
      const label = `rows ${rows} c ${c} training ${training} first ${first} statShift ${statShift}`;
      sameArray(t, got.act, want.act, `act ${label}`, c);
      sameArray(t, got.k, want.k, `k ${label}`);
      sameArray(t, got.runMean, want.runMean, `running mean ${label}`);
      sameArray(t, got.runSpread, want.runSpread, `running spread ${label}`);
    }
  }
});

function wasmChannelBackward(d: Int32Array, rows: number, c: number, kk: Int32Array, bias: Int32Array, exponent: number, lrShift: number, act: Uint8Array) {
  const pd = put(d), pb = put(bias);
  // The dense bias shift e + F - lrShift' - b with b = 0: lrShift' = lrShift + 5 gives e + F - lrShift - 5.
  const e = k.norm_backward(pd, c, rows, 0, put(kk), pb, exponent, 4, lrShift + 5, put(act), 1, 0, -1);
  return { d: getI32(pd, rows * c), bias: getI32(pb, c), exponent: e };
}

test("norm_backward per channel (rows = positions): bias step, centred error with the projection term, renormalisation", (t) => {
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

test("with 2^b rows the per-channel rules are the dense ones (oracle.ts, steps 4 and 6)", async (t) => {
  const dense = await import("./oracle.ts");
  const gen = new Gen(9);
  const rows = 64, c = 5;
  const z = sums(gen, rows * c, 3);
  const bias = Int32Array.from({ length: c }, () => gen.int(-20 * 256, 20 * 256));
  const zero = new Int32Array(c);
  const got = wasmChannelForward(z, rows, c, bias, zero, zero, true, true, 4);
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

