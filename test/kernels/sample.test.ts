import test from "ava";
import { Gen } from "./gen.ts";
import { BC, TC, Rng, packRow, sampleRow, signRow, wordsFor } from "./oracle.ts";
import { alloc, fresh, getU32, k, put, rngLoad, rngState, sameArray } from "./wasm.ts";

test.beforeEach(() => fresh());

/** Runs sample_row / sign_row on one row and returns its packed words. */
function wasmRow(kind: "sample" | "sign", w: number[] | Int16Array, mode: number): { pos: number[]; neg: number[] } {
  const n = w.length;
  const pw = put(Int16Array.from(w));
  const pos = alloc(wordsFor(n) * 4), neg = alloc(wordsFor(n) * 4);
  (kind === "sample" ? k.sample_row : k.sign_row)(pw, n, mode, pos, neg);
  return {
    pos: Array.from(getU32(pos, wordsFor(n))),
    neg: mode === TC ? Array.from(getU32(neg, wordsFor(n))) : new Array(wordsFor(n)).fill(0),
  };
}

test("sample_row BC at randbits 1 from words (1, 2, 3, 4) gives the hand-drawn signs", (t) => {
  // 1-bit fields 1, 0, 1, 1, 0 (first word 0x80D); thresholds (w + 2^14) >> 14 for
  // w = 0, 0, -1, 2^14, -2^14 are 1, 1, 0, 2, 0: signs -, +, -, +, - => pos = 0b01010.
  k.rng_field_bits(1);
  rngLoad([1, 2, 3, 4]);
  t.deepEqual(wasmRow("sample", [0, 0, -1, 16384, -16384], BC).pos, [0b01010]);
  const o = new Rng().setFieldBits(1).load([1, 2, 3, 4]);
  t.deepEqual(packRow(sampleRow(o, [0, 0, -1, 16384, -16384], BC)).pos, [0b01010]);
});

test("sample_row TC at randbits 4 from words (1, 2, 3, 4) gives the hand-drawn signs", (t) => {
  // 4-bit fields 13, 0, 8, 0, 0; thresholds |w| >> 10 for w = 2^14, -1024, 8192, 0, -2^14 are
  // 16, 1, 8, 0, 16: +1, -1, 0 (8 < 8 fails), 0, -1 => pos = 0b00001, neg = 0b10010.
  k.rng_field_bits(4);
  rngLoad([1, 2, 3, 4]);
  t.deepEqual(wasmRow("sample", [16384, -1024, 8192, 0, -16384], TC), { pos: [1], neg: [0b10010] });
  const o = new Rng().setFieldBits(4).load([1, 2, 3, 4]);
  t.deepEqual(packRow(sampleRow(o, [16384, -1024, 8192, 0, -16384], TC)), { pos: [1], neg: [0b10010] });
});

test("sign_row gives BC +1 iff w >= 0 and TC sign(w) iff |w| > 2^13", (t) => {
  // BC: -1, 0, 5, -2^14, 2^14 => +1 at j = 1, 2, 4 => 0b10110.
  t.deepEqual(wasmRow("sign", [-1, 0, 5, -16384, 16384], BC).pos, [0b10110]);
  // TC: 8192, 8193, -8192, -8193, 0, 2^14 => +1 at 1 and 5 (0b100010), -1 at 3 (0b1000).
  t.deepEqual(wasmRow("sign", [8192, 8193, -8192, -8193, 0, 16384], TC), { pos: [0b100010], neg: [0b1000] });
  // 33 weights, two words: BC +1 at even j => 0x55555555 then bit 0 of the second word.
  const alt = Array.from({ length: 33 }, (_, j) => (j % 2 === 0 ? 1 : -1));
  t.deepEqual(wasmRow("sign", alt, BC).pos, [0x55555555, 1]);
  const edge = Array.from({ length: 33 }, (_, j) => (j === 31 || j === 32 ? 16384 : j === 0 ? -16384 : 0));
  t.deepEqual(wasmRow("sign", edge, TC), { pos: [0x80000000, 1], neg: [1, 0] });
});

test("sign_row matches the oracle on random rows of 1 to 300 weights", (t) => {
  const g = new Gen(10);
  for (const n of [1, 10, 31, 32, 33, 64, 70, 256, 300]) {
    for (const mode of [BC, TC]) {
      const w = g.weights(n);
      const want = packRow(signRow(w, mode));
      if (mode === BC) want.neg.fill(0);
      t.deepEqual(wasmRow("sign", w, mode), want, `n ${n} mode ${mode}`);
    }
  }
});

/** Samples `rows` consecutive rows of n weights in both, comparing words and generator state. */
function compareSampling(t: import("ava").ExecutionContext, g: Gen, bits: number, mode: number, n: number, rows: number) {
  const lo = g.u32(), hi = g.u32();
  k.rng_field_bits(bits);
  k.rng_seed(lo, hi);
  const o = new Rng().setFieldBits(bits).seed(lo, hi);
  const got: number[] = [], want: number[] = [];
  for (let r = 0; r < rows; r++) {
    const w = g.weights(n);
    const a = wasmRow("sample", w, mode);
    const b = packRow(sampleRow(o, w, mode));
    if (mode === BC) b.neg.fill(0);
    got.push(...a.pos, ...a.neg);
    want.push(...b.pos, ...b.neg);
  }
  sameArray(t, got, want, `randbits ${bits} mode ${mode === BC ? "BC" : "TC"} n ${n}`);
  t.deepEqual(rngState(), o.gen.state(), `generator position, randbits ${bits} n ${n}`);
  t.is(k.rng_field(), o.field(), `field stream position, randbits ${bits} n ${n}`);
}

for (const bits of [1, 2, 4, 8]) {
  test(`sample_row matches the oracle at randbits ${bits}, BC and TC, rows of 1 to 300 weights`, (t) => {
    const g = new Gen(100 + bits);
    for (const n of [1, 10, 32, 33, 70, 256, 300]) {
      compareSampling(t, g, bits, BC, n, 6);
      compareSampling(t, g, bits, TC, n, 6);
    }
  });
}

test("sample_row at randbits 16 uses the 17-bit BC / 16-bit TC thresholds (2^14 always +1)", (t) => {
  // Doc: BC +1 if field < (w + 2^14) >> (15 - 16), i.e. (w + 2^14) · 2 in [0, 65536]; TC ±1 if
  // field < |w| >> (14 - 16) = |w| · 4. Fields from (1, 2, 3, 4): 0x080D, 0, 0x181F, 0.
  // BC w = 2^14, 2^14, 0, 0: thresholds 65536, 65536, 32768, 32768 => all +1 (pos 0b1111).
  k.rng_field_bits(16);
  rngLoad([1, 2, 3, 4]);
  t.deepEqual(wasmRow("sample", [16384, 16384, 0, 0], BC).pos, [0b1111], "BC");
  // TC w = 2^14, -2^14, 0, 100: thresholds 65536, 65536, 0, 400 => +1, -1, 0, +1.
  rngLoad([1, 2, 3, 4]);
  t.deepEqual(wasmRow("sample", [16384, -16384, 0, 100], TC), { pos: [0b1001], neg: [0b0010] }, "TC");
  const g = new Gen(116);
  for (const n of [10, 33, 70]) {
    compareSampling(t, g, 16, BC, n, 4);
    compareSampling(t, g, 16, TC, n, 4);
  }
});
