import test from "ava";
import { Gen } from "./gen.ts";
import { Rng, floorLog2, quantizeExponent, rngFor } from "./oracle.ts";
import { fresh, k, rngLoad, rngState, sameArray } from "./wasm.ts";

test.beforeEach(() => fresh());

test("quantize_exponent from words (1, 2, 3, 4) gives the hand-drawn exponents", (t) => {
  // Bytes 0x0D, 0x08, 0, 0 | 0x1F, 0x18, 0, 0 | 0x04, 0, 0, 0 | 0x20, 0x20, ...
  // (words 0x80D, 0x181F, 0x4, 0x2020).
  const cases: [x: number, lo: number, hi: number, want: number, why: string][] = [
    [255, 2, 6, 6, "f = 7 >= hi: saturates, no byte"],
    [64, 0, 6, 6, "f = 6 >= hi: saturates, no byte"],
    [1, 0, 8, 0, "f = 0 with lo = 0: exact, no byte"],
    [3, 0, 8, 2, "f = 1: 13 >> 7 = 0 < 3 - 2"],
    [1, 3, 8, 3, "f = 0 < lo: 8 >> 5 = 0 < 1"],
    [5, 0, 8, 3, "f = 2: 0 >> 6 = 0 < 1"],
    [4, 0, 8, 2, "f = 2: 0 >> 6 = 0 < 0 fails"],
    [2, 3, 6, 3, "f = 1 < lo: 0x1F >> 5 = 0 < 2"],
    [6, 0, 8, 3, "f = 2: 0x18 >> 6 = 0 < 2"],
    [7, 0, 8, 3, "f = 2: 0 < 3"],
    [1, 8, 8, 8, "window 1 at hi 8 (lo 8): byte 0 >> 0 < 1"],
    [100, 8, 8, 8, "f = 6 < lo: 4 < 100"],
    [3, 8, 8, 8, "0 < 3"],
    [1, 8, 8, 8, "0 < 1"],
    [1, 8, 8, 8, "0 < 1"],
    [20, 8, 8, -1, "f = 4 < lo: 0x20 < 20 fails: zero"],
    [33, 8, 8, 8, "0x20 < 33"],
  ];
  rngLoad([1, 2, 3, 4]);
  const o = new Rng().load([1, 2, 3, 4]);
  for (const [x, lo, hi, want, why] of cases) {
    t.is(k.quantize_exponent(x, lo, hi), want, `x ${x} [${lo}, ${hi}]: ${why}`);
    t.is(quantizeExponent(o, x, lo, hi), want, `oracle x ${x} [${lo}, ${hi}]: ${why}`);
  }
  t.deepEqual(rngState(), [2061, 6175, 4, 8224], "four words used");
});

test("quantize_exponent matches the oracle on every x, hi 8 and 6, windows 1 to 8", (t) => {
  const g = new Gen(40);
  for (const hi of [8, 6]) {
    for (let window = 1; window <= 8; window++) {
      const lo = Math.max(0, hi - window + 1);
      const seed = [g.u32(), g.u32()] as const;
      k.rng_seed(...seed);
      const o = rngFor(...seed);
      const got: number[] = [], want: number[] = [];
      for (let rep = 0; rep < 8; rep++) {
        for (let x = 1; x <= 255; x++) {
          const v = rep < 4 ? x : g.int(1, 255);
          got.push(k.quantize_exponent(v, lo, hi));
          want.push(quantizeExponent(o, v, lo, hi));
        }
      }
      sameArray(t, got, want, `hi ${hi} window ${window}`);
      t.deepEqual(rngState(), o.gen.state(), `generator hi ${hi} window ${window}`);
      t.is(k.rng_byte(), o.byte(), `byte stream position hi ${hi} window ${window}`);
    }
  }
});

test("quantize_exponent returns only exponents in [lo, hi] or -1, and 2^e is unbiased below 2^hi", (t) => {
  const N = 4000;
  const xs = [1, 2, 3, 5, 7, 8, 13, 31, 50, 63, 64, 100, 127, 128, 200, 255];
  k.rng_seed(0xC0FFEE, 0xBEEF);
  for (const hi of [8, 6]) {
    for (const window of [1, 2, 3, 5, 8]) {
      const lo = Math.max(0, hi - window + 1);
      for (const x of xs) {
        let sum = 0, sum2 = 0;
        const seen = new Set<number>();
        for (let i = 0; i < N; i++) {
          const e = k.quantize_exponent(x, lo, hi);
          seen.add(e);
          const q = e < 0 ? 0 : 2 ** e;
          sum += q;
          sum2 += q * q;
        }
        const bad = [...seen].filter((e) => e !== -1 && (e < lo || e > hi));
        t.deepEqual(bad, [], `x ${x} [${lo}, ${hi}] gave exponents ${[...seen]}`);
        if (x < 2 ** lo) t.true(seen.has(-1), `x ${x} below 2^lo can be zero`);
        if (floorLog2(x) >= hi) {
          t.deepEqual([...seen], [hi], `x ${x} >= 2^hi saturates`);
          continue;
        }
        const mean = sum / N;
        const sd = Math.sqrt(Math.max(sum2 / N - mean * mean, 0) / N);
        t.true(Math.abs(mean - x) <= 5 * sd + 1e-9, `x ${x} [${lo}, ${hi}]: mean of 2^e ${mean.toFixed(3)} (sd ${sd.toFixed(3)})`);
      }
    }
  }
});
