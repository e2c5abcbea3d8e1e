import test from "ava";
import { Gen } from "./gen.ts";
import { Rng, rngFor, sround } from "./oracle.ts";
import { fresh, k, rngLoad, rngState, sameArray } from "./wasm.ts";

test.beforeEach(() => fresh());

const SAT = 2 ** 30 - 1;

test("stochastic_shift with s >= 0 shifts left, saturates at ±(2^30 - 1) and draws nothing", (t) => {
  k.rng_seed(1, 2);
  const before = rngState();
  const cases: [v: number, s: number, want: number][] = [
    [5, 2, 20], [-5, 0, -5], [1, 29, 2 ** 29], [-1, 29, -(2 ** 29)],
    [SAT, 0, SAT], [-SAT, 0, -SAT], [SAT, 1, SAT], [2 ** 29, 1, SAT], [-(2 ** 29), 1, -SAT],
    [2 ** 29 - 1, 1, 2 ** 30 - 2], [1, 30, SAT], [-1, 30, -SAT], [1, 31, SAT], [-7, 40, -SAT],
    [2 ** 31 - 1, 0, SAT], [-(2 ** 31), 0, -SAT], [0, 5, 0], [0, 0, 0], [0, -3, 0], [0, -40, 0],
  ];
  for (const [v, s, want] of cases) t.is(k.stochastic_shift(v, s), want, `sround(${v}, ${s})`);
  t.deepEqual(rngState(), before, "no draw");
  const o = new Rng().seed(1, 2);
  for (const [v, s, want] of cases) t.is(sround(o, v, s), want, `oracle sround(${v}, ${s})`);
});

test("stochastic_shift with s < 0 adds the dithered half before the shift, by hand", (t) => {
  // Halves from (1, 2, 3, 4): 0x080D = 2061, 0, 0x181F = 6175, 0, 4, 0, 0x2020 = 8224, 0.
  const cases: [v: number, s: number, want: number, why: string][] = [
    [100, -4, 6, "dither 2061 >> 12 = 0: 100 >> 4"],
    [100, -4, 6, "dither 0"],
    [7, -16, 0, "dither 6175: 6182 >> 16"],
    [-1, -20, -1, "dither 0 << 4: -1 >> 20 = -1"],
    [-100, -3, -13, "dither 4 >> 13 = 0: floor(-12.5)"],
    [1, -1, 0, "dither 0"],
    [1, -1, 0, "dither 8224 >> 15 = 0"],
    [0x7F, -7, 0, "next word 0x40004D: half 0x4D = 77 >> 9 = 0; 127 >> 7 = 0"],
  ];
  rngLoad([1, 2, 3, 4]);
  const o = new Rng().load([1, 2, 3, 4]);
  for (const [v, s, want, why] of cases) {
    t.is(k.stochastic_shift(v, s), want, `sround(${v}, ${s}): ${why}`);
    t.is(sround(o, v, s), want, `oracle sround(${v}, ${s}): ${why}`);
  }
  // Half 0x40 = 64 at r = 30: dither 64 << 14 = 2^20; (2^30 - 2^20) + 2^20 = 2^30 -> 1.
  t.is(k.stochastic_shift(2 ** 30 - 2 ** 20, -30), 1);
  t.is(sround(o, 2 ** 30 - 2 ** 20, -30), 1);
});

test("stochastic_shift matches the oracle on values up to ±(2^30 - 1) and shifts -40 to 40", (t) => {
  const g = new Gen(50);
  const special = [1, -1, 2, -2, 255, -255, 16383, -16383, 2 ** 29, -(2 ** 29), SAT, -SAT, 2 ** 30 - 2 ** 16, -(2 ** 30 - 2 ** 16)];
  for (let rep = 0; rep < 6; rep++) {
    const seed = [g.u32(), g.u32()] as const;
    k.rng_seed(...seed);
    const o = rngFor(...seed);
    const got: number[] = [], want: number[] = [];
    for (let i = 0; i < 20000; i++) {
      const v = g.real() < 0.3 ? g.pick(special) : g.real() < 0.5 ? g.int(-(2 ** 16), 2 ** 16) : g.int(-SAT, SAT);
      const s = g.int(-40, 40);
      got.push(k.stochastic_shift(v, s));
      want.push(sround(o, v, s));
    }
    sameArray(t, got, want, `seed ${seed}`);
    t.deepEqual(rngState(), o.gen.state());
    t.is(k.rng_half(), o.half(), "half stream position");
  }
});

test("stochastic_shift is unbiased for s from -30 to -1: E = v · 2^s", (t) => {
  const g = new Gen(51);
  const N = 20000;
  k.rng_seed(77, 88);
  for (let s = -30; s <= -1; s++) {
    for (const v of [1, -1, 3, -5, 2 ** 14 - 1, -(2 ** 14) + 1, g.int(-SAT, SAT), g.int(1, SAT), -SAT]) {
      let sum = 0;
      for (let i = 0; i < N; i++) sum += k.stochastic_shift(v, s);
      const mean = sum / N;
      const exact = v * 2 ** s;
      // Each result is floor or ceil of v · 2^s: sd of the mean <= 0.5 / sqrt(N); the dither's
      // 16-bit granularity adds a bias below 2^-16.
      t.true(Math.abs(mean - exact) <= 5 * 0.5 / Math.sqrt(N) + 2 ** -16, `sround(${v}, ${s}): mean ${mean}, exact ${exact}`);
    }
  }
});

test("stochastic_shift stays unbiased for shifts below -30 (E = v · 2^s, not v · 2^-30)", (t) => {
  // The document clamps r = min(-s, 30): for s < -30 the result is then (v + dither) >> 30,
  // which is 1 with probability about v / 2^30 for positive v, i.e. E = v · 2^-30 instead of
  // v · 2^s: a step 2^(-s-30) times too large (2^10 at s = -40).
  const N = 20000;
  k.rng_seed(5, 6);
  for (const s of [-31, -34, -40]) {
    for (const v of [2 ** 29, -(2 ** 29), 2 ** 20]) {
      let sum = 0;
      for (let i = 0; i < N; i++) sum += k.stochastic_shift(v, s);
      const mean = sum / N;
      const exact = v * 2 ** s;
      t.true(Math.abs(mean - exact) <= 5 * 0.5 / Math.sqrt(N) + 2 ** -16, `sround(${v}, ${s}): mean ${mean}, exact ${exact}`);
    }
  }
});
