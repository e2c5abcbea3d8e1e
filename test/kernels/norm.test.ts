import test from "ava";
import type { ExecutionContext } from "ava";
import { Gen } from "./gen.ts";
import {
  BC, DELTA_LIMIT, biasValue, HIDDEN_F, OUTPUT_F, TC, denseForward, normBackward, normForward, rngFor, unitScale,
} from "./oracle.ts";
import { alloc, fresh, getI32, getU8, k, mem, put, rngState, sameArray } from "./wasm.ts";

test.beforeEach(() => fresh());

interface NormIn {
  z: Int32Array; n: number; batch: number; log2Batch: number; F: number;
  bias: Int32Array; runMean: Int32Array; runSpread: Int32Array; training: boolean; first: boolean; hidden: boolean;
  /** Online normalisation's running shift R (step 4), or absent for batch statistics. */
  online?: number;
  /** Batch statistics: the running statistics' step 2^-statShift (training 4; calibration averages). */
  statShift?: number;
}

/** Stored running statistics (8 bits finer than z) whose rounded values are `v`. */
const storedStat = (v: number[]) => Int32Array.from(v, (x) => x * 256);

function wasmNormForward(a: NormIn) {
  const { n, batch } = a;
  const z = put(a.z), mean = put(a.runMean), spread = put(a.runSpread), kp = alloc(n * 4);
  const act = a.hidden ? alloc(batch * n) : 0;
  if (a.hidden) mem.u8(act, batch * n).fill(0xA5);
  // statShift: 2^-statShift moves the running statistics, 0 sets them (the first step), -1 inference.
  const statShift = !a.training ? -1 : a.first ? 0 : a.statShift ?? 4;
  k.norm_forward(z, n, batch, a.F, put(a.bias), mean, spread, kp, act, a.online ?? -1, statShift);
  return {
    y: a.hidden ? getU8(act, batch * n) : getI32(z, batch * n),
    k: getI32(kp, n), runMean: getI32(mean, n), runSpread: getI32(spread, n),
  };
}

function compareNormForward(t: ExecutionContext, a: NormIn, label: string) {
  const got = wasmNormForward(a);
  const want = normForward(a.z, a.n, a.batch, a.log2Batch, a.F, a.bias, a.runMean, a.runSpread, a.training, a.first, a.hidden, a.online ?? -1, a.statShift ?? 4);
  sameArray(t, got.y, want.y, `y ${label}`, a.n);
  sameArray(t, got.k, want.k, `k ${label}`);
  sameArray(t, got.runMean, want.runMean, `running mean ${label}`);
  sameArray(t, got.runSpread, want.runSpread, `running spread ${label}`);
  return want;
}

// z[b] = [col0[b], col1[b]] with col0 = 10, 20, 30, 40 and col1 = -7, 0, 0, 1000 (batch 4, b = 2).
// col0: mean 100 >> 2 = 25; spread (15 + 5 + 5 + 15) >> 2 = 10; v = 12 = 0b1100, f = 3, bit 2 = 1: k = 4.
// col1: mean 993 >> 2 = 248; spread (255 + 248 + 248 + 752) >> 2 = 375; v = 375 + 93 = 468
//       = 0b111010100, f = 8, bit 7 = 1: k = 9.
const Z = Int32Array.from([10, -7, 20, 0, 30, 0, 40, 1000]);
const base = { z: Z, n: 2, batch: 4, log2Batch: 2 };
/** Stored biases (8 bits finer than the output, docs/model-format.md) whose rounded value β is each of `beta`. */
const storedBias = (beta: number[]) => Int32Array.from(beta, (v) => v * 256);

// The hand-computed forward goldens of the power-of-two scale are gone with it; the cases
// below check statistics by hand and the scaled values against the oracle (whose unitScale is
// checked by hand above and below).
test("norm_forward hidden, first training step: batch statistics by hand, values as the oracle", (t) => {
  const a = { ...base, F: HIDDEN_F, bias: storedBias([250, 20]), runMean: Int32Array.from([-99, -99]),
    runSpread: Int32Array.from([-99, -99]), training: true, first: true, hidden: true };
  compareNormForward(t, a, "hidden first");
  const got = wasmNormForward(a);
  t.deepEqual(Array.from(got.runMean), [25 * 256, 248 * 256]);
  t.deepEqual(Array.from(got.runSpread), [10 * 256, 375 * 256]);
  t.deepEqual(Array.from(got.k), [unitScale(10), unitScale(375)]);
});

test("norm_forward later training steps move the (8 bits finer) running statistics by (batch · 2^8 - r + 8) >> 4", (t) => {
  // Stored mean [2304, 0] (9 and 0), spread [25600, 96000] (100 and 375); batch means 25, 248, spreads 10, 375:
  // mean: 2304 + (6400 - 2304 + 8) >> 4 = 2560; 0 + (63488 + 8) >> 4 = 3968.
  // spread: 25600 + (2560 - 25600 + 8) >> 4 = 25600 - 1440 = 24160; 96000 + (0 + 8) >> 4 = 96000.
  const a = { ...base, F: HIDDEN_F, bias: storedBias([250, 20]), runMean: storedStat([9, 0]),
    runSpread: storedStat([100, 375]), training: true, first: false, hidden: true };
  compareNormForward(t, a, "hidden later");
  const got = wasmNormForward(a);
  t.deepEqual(Array.from(got.runMean), [2560, 3968]);
  t.deepEqual(Array.from(got.runSpread), [24160, 96000]);
  // A calibration's plain average moves them by 2^-statShift instead: statShift 1: 2304 + (4096 + 1) >> 1 = 4352.
  t.is(wasmNormForward({ ...a, statShift: 1 }).runMean[0], 4352);
  compareNormForward(t, { ...a, statShift: 7 }, "hidden later, statShift 7");
});

test("norm_forward output layer writes int32 scores in place, as the oracle", (t) => {
  compareNormForward(t, { ...base, F: OUTPUT_F, bias: storedBias([0, -3]), runMean: new Int32Array(2), runSpread: new Int32Array(2),
    training: true, first: true, hidden: false }, "output");
});

test("norm_forward inference uses the running statistics and leaves them alone", (t) => {
  // Spread 0 gives the scale 16 · 2^-4 = 1: col1 = z · 2^F, 1000 · 16 = 16000 -> 255 (hidden).
  const a = { ...base, F: HIDDEN_F, bias: new Int32Array(2), runMean: storedStat([20, 0]), runSpread: storedStat([3, 0]),
    training: false, first: false, hidden: true };
  compareNormForward(t, a, "inference hidden");
  const hidden = wasmNormForward(a);
  t.deepEqual([hidden.y[1], hidden.y[7]], [0, 255]);
  t.deepEqual(Array.from(hidden.runMean), [20 * 256, 0]);
  t.deepEqual(Array.from(hidden.runSpread), [3 * 256, 0]);
  compareNormForward(t, { ...base, F: OUTPUT_F, bias: storedBias([1, 2]), runMean: Int32Array.from([25 * 256 + 100, 0]), runSpread: Int32Array.from([10 * 256 - 100, 0]),
    training: false, first: true, hidden: false }, "inference output");
});

test("unit_scale packs k | M << 8 with M · 2^-k ~ 1 / (1.25 · spread), by hand", (t) => {
  // spread -> v = spread + spread >> 2 -> f, t (3 bits below the leading one) -> M = nibble t of
  // 0x899ABCDF, k = f + 4: 0 and 1 -> v <= 1 -> k 4, M 16; 2 -> v 2 = 0b10: f 1, t 0, M 15, k 5;
  // 10 -> v 12 = 0b1100: f 3, t 4, M 10, k 7 (10/128 = 1/12.8 ~ 1/12.5);
  // 375 -> v 468 = 0b111010100: f 8, t 6, M 9, k 12 (9/4096 = 1/455 ~ 1/468).
  const cases: [number, number, number][] = [[0, 4, 16], [1, 4, 16], [2, 5, 15], [10, 7, 10], [375, 12, 9]];
  for (const [spread, kk, M] of cases) {
    t.is(k.unit_scale(spread), kk | (M << 8), `spread ${spread}`);
    t.is(unitScale(spread), kk | (M << 8), `oracle spread ${spread}`);
  }
});

test("unit_scale matches the oracle on every spread below 2^17 and random ones up to 2^31 / 1.25, within 9 % of 1/(1.25 spread)", (t) => {
  const got: number[] = [], want: number[] = [];
  for (let s = 0; s < 2 ** 17; s++) { got.push(k.unit_scale(s)); want.push(unitScale(s)); }
  const g = new Gen(30);
  for (let i = 0; i < 20000; i++) {
    const s = i < 62 ? 2 ** (i >> 1) - (i & 1) : g.int(0, 1717986918);
    got.push(k.unit_scale(s));
    want.push(unitScale(s));
  }
  sameArray(t, got, want, "scale");
  for (let s = 8; s < 2 ** 16; s++) {
    const v = unitScale(s);
    const ratio = ((v >> 8) * 2 ** -(v & 255)) * 1.25 * s;
    if (Math.abs(ratio - 1) > 0.09) t.fail(`spread ${s}: scale off by ${ratio}`);
  }
});

function randomZ(g: Gen, batch: number, n: number, scale: number): Int32Array {
  const z = new Int32Array(batch * n);
  for (let j = 0; j < n; j++) {
    const kind = g.int(0, 4); // columns with all-equal values, tiny spreads, wide ones
    const centre = g.int(-scale, scale);
    for (let b = 0; b < batch; b++) {
      z[b * n + j] = kind === 0 ? centre : kind === 1 ? centre + g.int(-2, 2) : g.int(-scale, scale);
    }
  }
  return z;
}

test("norm_forward matches the oracle on random shapes, training (first or not) and inference", (t) => {
  const g = new Gen(31);
  for (const n of [10, 33, 70]) {
    for (const log2Batch of [0, 2, 5]) {
      const batch = 2 ** log2Batch;
      for (const hidden of [true, false]) {
        for (const mode of ["first", "later", "inference"] as const) {
          for (const scale of [3, 300, 200000]) {
            const F = hidden ? HIDDEN_F : OUTPUT_F;
            const a: NormIn = {
              z: randomZ(g, batch, n, scale), n, batch, log2Batch, F,
              bias: Int32Array.from({ length: n }, () => g.int(-600 * 256, 600 * 256)),
              runMean: Int32Array.from({ length: n }, () => g.int(-scale * 256, scale * 256)),
              runSpread: Int32Array.from({ length: n }, () => g.int(0, scale * 256)),
              training: mode !== "inference", first: mode === "first", hidden, statShift: g.int(0, 13),
            };
            compareNormForward(t, a, `${hidden ? "hidden" : "output"} ${mode} n ${n} batch ${batch} scale ${scale}`);
          }
        }
      }
    }
  }
});

test("norm_forward at MNIST size (256 units of 784-input sums, batch 32) matches the oracle", (t) => {
  const g = new Gen(32);
  const x = g.pixels(32 * 784), w = g.weights(784 * 256);
  const { z } = denseForward(rngFor(1, 2, 8), x, 784, 32, w, 256, TC, true);
  const bias = Int32Array.from({ length: 256 }, () => g.int(-40 * 256, 40 * 256));
  const first = compareNormForward(t, {
    z, n: 256, batch: 32, log2Batch: 5, F: HIDDEN_F, bias, runMean: new Int32Array(256), runSpread: new Int32Array(256),
    training: true, first: true, hidden: true,
  }, "first step");
  const { z: z2 } = denseForward(rngFor(3, 4, 8), g.pixels(32 * 784), 784, 32, w, 256, BC, true);
  compareNormForward(t, {
    z: z2, n: 256, batch: 32, log2Batch: 5, F: HIDDEN_F, bias, runMean: first.runMean, runSpread: first.runSpread,
    training: true, first: false, hidden: true,
  }, "second step");
  compareNormForward(t, {
    z: z2, n: 256, batch: 32, log2Batch: 5, F: OUTPUT_F, bias, runMean: first.runMean, runSpread: first.runSpread,
    training: false, first: false, hidden: false,
  }, "inference");
});

// ---------------------------------------------------------------------------------------------

interface BackIn {
  d: Int32Array; n: number; batch: number; log2Batch: number; k: Int32Array; bias: Int32Array;
  exponent: number; F: number; lrShift: number;
  /** The layer's stored outputs [batch][n]: uint8 activations when `hidden`, else int32 scores; default x̂ = 0. */
  out?: Int32Array; hidden?: boolean;
  /** Online (step 6): running shift R and the stored running error means with their exponent. */
  online?: { R: number; gm: Int32Array; gc: Int32Array; gExp: number };
}

/** Outputs equal to the rounded bias β: x̂ = 0, so the projection term vanishes (the hand tests below). */
function outputs(a: BackIn): Int32Array {
  return a.out ?? Int32Array.from({ length: a.batch * a.n }, (_, i) => biasValue(a.bias[i % a.n]));
}

/** Packed unit scales (unitScale's k | M << 8) equal to 2^-e for each e: k = e + 4, M = 16. */
function pow2Scales(e: number[]): Int32Array {
  return Int32Array.from(e, (v) => (v + 4) | (16 << 8));
}

function wasmNormBackward(a: BackIn) {
  const d = put(a.d), bias = put(a.bias);
  const o = outputs(a);
  let out: number;
  if (a.hidden) {
    out = alloc(o.length);
    new Uint8Array(k.memory.buffer, out, o.length).set(o);
  } else out = put(o);
  const grad = a.online ? put(Int32Array.from([...a.online.gm, ...a.online.gc, a.online.gExp])) : 0;
  const e = k.norm_backward(d, a.n, a.batch, a.log2Batch, put(a.k), bias, a.exponent, a.F, a.lrShift, out, a.hidden ? 1 : 0, grad, a.online?.R ?? -1);
  const g = a.online ? getI32(grad, 2 * a.n + 1) : undefined;
  return {
    d: getI32(d, a.batch * a.n), bias: getI32(bias, a.n), exponent: e,
    gm: g?.subarray(0, a.n), gc: g?.subarray(a.n, 2 * a.n), gExp: g?.[2 * a.n],
  };
}

function compareNormBackward(t: ExecutionContext, a: BackIn, seed: [number, number], label: string) {
  k.rng_seed(...seed);
  const got = wasmNormBackward(a);
  const o = rngFor(...seed);
  const want = normBackward(o, a.d, a.n, a.batch, a.log2Batch, a.k, a.bias, a.exponent, a.F, a.lrShift, outputs(a), a.online);
  sameArray(t, got.d, want.d, `d ${label}`, a.n);
  sameArray(t, got.bias, want.bias, `bias ${label}`);
  if (a.online) {
    sameArray(t, got.gm!, want.gm!, `gm ${label}`);
    sameArray(t, got.gc!, want.gc!, `gc ${label}`);
    t.is(got.gExp, want.gExp, `error exponent ${label}`);
  }
  t.is(got.exponent, want.exponent, `exponent ${label}`);
  t.deepEqual(rngState(), o.gen.state(), `generator ${label}`);
  return want;
}

test("norm_backward steps the bias, removes the mean and scales by 2^(kmax - k), by hand", (t) => {
  // n = 2, batch 2, k = [3, 1] (kmax 3), d = [[10, -4], [6, 12]], e = -8, F = 8, s = 2:
  // bias shift -8 + 8 + 8 - 10 - 1 = -3 (s = 10 here); sums 16, 8 -> (16 + dither < 8) >> 3 = 2,
  // (8 + dither) >> 3 = 1 whatever the dither: stored bias [100·256, -50·256] -> [25598, -12801]. Means 8, 4; d - mean = [2, -2], [-8, 8];
  // Scales 2^-3, 2^-1 as M = 16 with k = [7, 5] (kmax 7): widths 2 + 4 + 0 and 4 + 4 + 2 -> r = 0;
  // d = [2, -2] · 16 and [-8, 8] · 16 · 4; exponent -8 - 7 + 0.
  k.rng_seed(1, 1);
  const got = wasmNormBackward({
    d: Int32Array.from([10, -4, 6, 12]), n: 2, batch: 2, log2Batch: 1, k: pow2Scales([3, 1]),
    bias: storedBias([100, -50]), exponent: -8, F: 8, lrShift: 10,
  });
  t.deepEqual(Array.from(got.d), [32, -512, -32, 512]);
  t.deepEqual(Array.from(got.bias), [25598, -12801]);
  t.is(got.exponent, -15);
});

test("norm_backward subtracts the MAD projection 1.25·(sign(x̂) - mean(sign(x̂)))·mean(d·x̂), by hand", (t) => {
  // n = 1, batch 2, hidden (F = 4), bias 32, activations [16, 80] (x̂ = -1 and 3), d = [10, 2],
  // k = 4, M = 16 (kmax 4), s = 30 (the bias step rounds to 0). mean 6; c = (-160 + 96) >> 1 = -32;
  // S = 0, g = -32 + (-32 >> 2) = -40, gs = 0: t+ = (-40 + 8) >> 4 = -2, t- = (8 + 40) >> 4 = 3;
  // v = [10 - 6 - 3, 2 - 6 + 2] = [1, -2] (the float gradient: [1.5, -1.5]); r = 0,
  // d = [16, -32], exponent 0 - 4 + 0.
  k.rng_seed(1, 1);
  const got = wasmNormBackward({
    d: Int32Array.from([10, 2]), n: 1, batch: 2, log2Batch: 1, k: pow2Scales([0]),
    bias: storedBias([32]), exponent: 0, F: 4, lrShift: 30, out: Int32Array.from([16, 80]), hidden: true,
  });
  t.deepEqual(Array.from(got.d), [16, -32]);
  t.deepEqual(Array.from(got.bias), [32 * 256]);
  t.is(got.exponent, -4);
});

test("norm_backward: x̂ all of one sign (S = B) leaves no projection, by hand", (t) => {
  // As the first part above with bias 0: x̂ = 1 and 3, c = (160 + 96) >> 1 = 128, S = 2,
  // g = 160, gs = (160·2) >> 1 = 160, t+ = (0 + 8) >> 4 = 0: v = [4, -4], d = [64, -64].
  k.rng_seed(1, 1);
  const got = wasmNormBackward({
    d: Int32Array.from([10, 2]), n: 1, batch: 2, log2Batch: 1, k: pow2Scales([0]),
    bias: Int32Array.from([0]), exponent: 0, F: 4, lrShift: 30, out: Int32Array.from([16, 48]), hidden: true,
  });
  t.deepEqual(Array.from(got.d), [64, -64]);
  t.is(got.exponent, -4);
});

test("norm_backward renormalises below 2^14 with r = widest - 14 and rounds half up, by hand", (t) => {
  // As above with d col1 = [-40000, 40008] (sum 8, mean 4): d - mean = ±40004, 16 bits + 2 = 18
  // -> r = 4. col0 shift -4: (2 + 8) >> 4 = 0, (-2 + 8) >> 4 = 0; col1 shift -2:
  // (-40004 + 2) >> 2 = floor(-10000.5) = -10001, (40004 + 2) >> 2 = 10001. Exponent -8 - 3 + 4.
  k.rng_seed(1, 1);
  const got = wasmNormBackward({
    d: Int32Array.from([10, -40000, 6, 40008]), n: 2, batch: 2, log2Batch: 1, k: pow2Scales([3, 1]),
    bias: storedBias([100, -50]), exponent: -8, F: 8, lrShift: 10,
  });
  t.deepEqual(Array.from(got.d), [0, -10001, 0, 10001]);
  t.deepEqual(Array.from(got.bias), [25598, -12801]);
  t.is(got.exponent, -7);
});

test("norm_backward bias step with a positive shift saturates at 2^30 - 1 and draws nothing", (t) => {
  // n = 1, batch 2, d = [2^23, 2^23]: sum 2^24, shift 0 + 8 + 8 - 0 - 1 = 15 -> 2^39 -> 2^30 - 1.
  // d - mean = 0 everywhere: r = 0, d = 0, exponent 0 - 4 + 0 (scale 2^0 as M 16, k 4).
  k.rng_seed(5, 5);
  const before = rngState();
  const got = wasmNormBackward({
    d: Int32Array.from([2 ** 23, 2 ** 23]), n: 1, batch: 2, log2Batch: 1, k: pow2Scales([0]),
    bias: Int32Array.from([0]), exponent: 0, F: 8, lrShift: 0,
  });
  t.deepEqual(Array.from(got.bias), [-(2 ** 30 - 1)]);
  t.deepEqual(Array.from(got.d), [0, 0]);
  t.is(got.exponent, -4);
  t.deepEqual(rngState(), before);
});

test("norm_backward leaves every renormalised |d| at most 2^14, as the document states", (t) => {
  // n = 1, batch 2, k = [0], d = [32767, -32767] (mean 0): 15 bits -> r = 1, and
  // (32767 + 1) >> 1 = 16384 = 2^14: the half-up rounding can land on 2^14 itself, no further.
  k.rng_seed(1, 1);
  const got = wasmNormBackward({
    d: Int32Array.from([32767, -32767]), n: 1, batch: 2, log2Batch: 1, k: pow2Scales([0]),
    bias: Int32Array.from([0]), exponent: 0, F: 8, lrShift: 0,
  });
  const worst = Math.max(...Array.from(got.d, Math.abs));
  t.is(worst, DELTA_LIMIT);
  t.true(worst <= DELTA_LIMIT, `max |d| = ${worst} (d = [${Array.from(got.d)}], exponent ${got.exponent})`);
});

test("norm_backward does not enlarge the renormalising shift for a unit whose error is constant over the batch", (t) => {
  // n = 2, batch 2, k = [20, 0] (kmax 20), d col0 = [100, -100], col1 = [5, 5]; e = -8, F = 8,
  // s = 8: bias shift -8 + 8 + 8 - 8 - 1 = -1, sums 0 and 10 -> bias steps 0 and (10 + dither < 2) >> 1 = 5.
  // col1 - mean = 0: scaled by anything it stays 0, so only col0 (7 bits + 4 for M = 16, shift 0)
  // limits r: r = 0, d = [[1600, 0], [-1600, 0]], exponent -8 - 24 + 0 = -32.
  k.rng_seed(1, 1);
  const got = wasmNormBackward({
    d: Int32Array.from([100, 5, -100, 5]), n: 2, batch: 2, log2Batch: 1, k: pow2Scales([20, 0]),
    bias: Int32Array.from([0, 0]), exponent: -8, F: 8, lrShift: 8,
  });
  t.deepEqual(Array.from(got.bias), [0, -5]);
  t.deepEqual({ d: Array.from(got.d), exponent: got.exponent }, { d: [1600, 0, -1600, 0], exponent: -32 });
});

/**
 * Units whose error minus its batch mean is zero everywhere get k = kmax, so that the general
 * comparison does not trip over the case tested on its own above.
 */
function withoutIdleUnits(a: BackIn): void {
  const kmax = Math.max(...Array.from(a.k, (v) => v & 255));
  for (let j = 0; j < a.n; j++) {
    let constant = true;
    for (let b = 1; b < a.batch; b++) if (a.d[b * a.n + j] !== a.d[j]) constant = false;
    if (constant) a.k[j] = kmax;
  }
}

test("norm_backward matches the oracle on random shapes, exponents and learning-rate shifts", (t) => {
  const g = new Gen(33);
  for (const n of [10, 33, 70]) {
    for (const log2Batch of [0, 2, 5]) {
      const batch = 2 ** log2Batch;
      for (const bits of [4, 9, 14, 15, 20]) {
        for (let rep = 0; rep < 2; rep++) {
          const a: BackIn = {
            d: g.deltas(batch * n, bits), n, batch, log2Batch,
            k: Int32Array.from({ length: n }, () => (rep === 0 ? g.int(4, 24) : g.int(4, 6)) | (g.pick([8, 9, 10, 11, 12, 13, 15, 16]) << 8)),
            bias: Int32Array.from({ length: n }, () => g.int(-(2 ** 20), 2 ** 20)),
            exponent: g.int(-40, 0), F: g.pick([HIDDEN_F, OUTPUT_F]), lrShift: g.int(-8, 30),
          };
          a.hidden = a.F === HIDDEN_F;
          a.out = Int32Array.from({ length: batch * n }, () => (a.hidden ? g.int(0, 255) : g.int(-(2 ** 16), 2 ** 16)));
          if (a.hidden) a.bias = a.bias.map(() => g.int(-600 * 256, 600 * 256));
          withoutIdleUnits(a);
          compareNormBackward(t, a, [g.u32(), g.u32()], `n ${n} batch ${batch} |d| < 2^${bits} rep ${rep}`);
        }
      }
    }
  }
});

test("norm_backward at MNIST size (256 units, batch 32) matches the oracle", (t) => {
  const g = new Gen(34);
  for (const F of [HIDDEN_F, OUTPUT_F]) {
    const a: BackIn = {
      d: g.deltas(32 * 256, 14), n: 256, batch: 32, log2Batch: 5,
      k: Int32Array.from({ length: 256 }, () => g.int(8, 18) | (g.pick([8, 9, 10, 11, 12, 13, 15]) << 8)),
      bias: Int32Array.from({ length: 256 }, () => g.int(-300 * 256, 300 * 256)),
      exponent: -12, F, lrShift: 3,
      hidden: F === HIDDEN_F,
      out: Int32Array.from({ length: 32 * 256 }, () => (F === HIDDEN_F ? g.int(0, 255) : g.int(-3000, 3000))),
    };
    compareNormBackward(t, a, [g.u32(), g.u32()], `F ${F}`);
  }
});

// ---------------------------------------------------------------------------------------------
// Online normalisation (batches below 8): steps 4 and 6 of docs/model-format.md

test("norm_forward online: spread about the running mean before the step, both move by 2^-R, by hand", (t) => {
  // n = 1, batch 2 (b = 1), z = [10, 30], running mean 4, spread 8, R = 1, F = 8, output:
  // (stored 8 bits finer: 1024, 2048) a = |10 - 4| + |30 - 4| = 32 -> 16; rm = 1024 + (20·256 - 1024 + 1) >> 1
  // = 3072 (used as (3072 + 128) >> 8 = 12); rs = 2048 + (16·256 - 2048 + 1) >> 1 = 3072 (12).
  // scale of 12: v = 15, f = 3, t = 7 -> M = 8, k = 7: y = (z - 12) · 8 · 2^(8 - 7) = -32, 288.
  const got = wasmNormForward({
    z: Int32Array.from([10, 30]), n: 1, batch: 2, log2Batch: 1, F: 8, bias: Int32Array.from([0]),
    runMean: storedStat([4]), runSpread: storedStat([8]), training: true, first: false, hidden: false, online: 1,
  });
  t.deepEqual(Array.from(got.runMean), [3072]);
  t.deepEqual(Array.from(got.runSpread), [3072]);
  t.deepEqual(Array.from(got.y), [-32, 288]);
});

test("norm_forward online matches the oracle at batches 1, 2 and 4 and every running shift", (t) => {
  const g = new Gen(35);
  for (const log2Batch of [0, 1, 2]) {
    for (const online of [0, 1, 2]) {
      for (const hidden of [true, false]) {
        const n = g.int(5, 40), batch = 2 ** log2Batch;
        const z = Int32Array.from({ length: batch * n }, () => g.int(-(2 ** 17), 2 ** 17));
        compareNormForward(t, {
          z, n, batch, log2Batch, F: hidden ? HIDDEN_F : OUTPUT_F, bias: Int32Array.from({ length: n }, () => g.int(-200 * 256, 200 * 256)),
          runMean: Int32Array.from({ length: n }, () => g.int(-5000 * 256, 5000 * 256)), runSpread: Int32Array.from({ length: n }, () => g.int(0, 20000 * 256)),
          training: true, first: false, hidden, online,
        }, `batch ${batch} R ${online} ${hidden ? "hidden" : "output"}`);
      }
    }
  }
});

test("norm_backward online: the running error means replace the batch's, by hand", (t) => {
  // n = 1, batch 1, output (F = 8), bias 0, score 512 (x̂ = 2), d = [100], e = -8, R = 1,
  // stored gm = 40, gc = 20 at E = -9: moved to e = -8 by align(., -1): 20, 10.
  // mean 100, c = (100 · 512) >> 0 = 51200, >> 8 = 200; gm = 20 + (80 + 1) >> 1 = 60, gc = 10 + (190 + 1) >> 1 = 105;
  // v = 100 - 60 - ((512 · 105 + 128) >> 8) = 40 - 210 = -170; k = 4, M = 16: |v|·16 = 2720 (12 bits), r = 0:
  // d = -2720, exponent -8 - 4.
  k.rng_seed(1, 1);
  const got = wasmNormBackward({
    d: Int32Array.from([100]), n: 1, batch: 1, log2Batch: 0, k: pow2Scales([0]), bias: Int32Array.from([0]),
    exponent: -8, F: 8, lrShift: 30, out: Int32Array.from([512]),
    online: { R: 1, gm: Int32Array.from([40]), gc: Int32Array.from([20]), gExp: -9 },
  });
  t.deepEqual(Array.from(got.gm!), [60]);
  t.deepEqual(Array.from(got.gc!), [105]);
  t.is(got.gExp, -8);
  t.deepEqual(Array.from(got.d), [-2720]);
  t.is(got.exponent, -12);
});

test("norm_backward online matches the oracle on random shapes, exponent moves and running shifts", (t) => {
  const g = new Gen(36);
  for (const log2Batch of [0, 1, 2]) {
    for (const R of [0, 1, 2]) {
      for (const F of [HIDDEN_F, OUTPUT_F]) {
        for (const move of [-40, -3, 0, 2, 30]) {
          const n = g.int(3, 40), batch = 2 ** log2Batch, hidden = F === HIDDEN_F;
          const exponent = g.int(-30, 0);
          const a: BackIn = {
            d: g.deltas(batch * n, g.pick([6, 14, 20])), n, batch, log2Batch,
            k: Int32Array.from({ length: n }, () => g.int(4, 20) | (g.pick([8, 9, 10, 11, 12, 13, 15, 16]) << 8)),
            bias: Int32Array.from({ length: n }, () => g.int(-300 * 256, 300 * 256)), exponent, F, lrShift: g.int(-4, 20), hidden,
            out: Int32Array.from({ length: batch * n }, () => (hidden ? g.int(0, 255) : g.int(-3000, 3000))),
            online: {
              R, gExp: exponent + move,
              gm: Int32Array.from({ length: n }, () => g.int(-(2 ** 20), 2 ** 20)),
              gc: Int32Array.from({ length: n }, () => g.int(-(2 ** 20), 2 ** 20)),
            },
          };
          compareNormBackward(t, a, [g.u32(), g.u32()], `batch ${batch} R ${R} F ${F} E - e = ${move}`);
        }
      }
    }
  }
});
