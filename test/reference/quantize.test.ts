import test from "ava";
import { Xorshift128 } from "../../host/reference/prng.ts";
import {
  deterministicBinary, deterministicTernary, qbpRound, qbpRoundArray, qbpWindow, sampleBinary, sampleTernary,
} from "../../host/reference/quantize.ts";

const DRAWS = 20000;

/** |observed - expected| within 5 standard errors of a Bernoulli(p) frequency over n draws (plus a hair). */
function nearProbability(observed: number, p: number, n: number): boolean {
  return Math.abs(observed - p) <= 5 * Math.sqrt((p * (1 - p)) / n) + 1e-9;
}

test("binary connect samples +1 with probability (w+1)/2 and -1 otherwise", (t) => {
  const ws = [-1, -0.6, -0.2, 0, 0.3, 0.75, 1];
  const latent = new Float32Array(ws.length * DRAWS);
  for (let k = 0; k < latent.length; k++) latent[k] = ws[k % ws.length];
  const out = new Float32Array(latent.length);
  sampleBinary(latent, out, new Xorshift128(5));
  ws.forEach((w, c) => {
    let plus = 0;
    for (let k = c; k < out.length; k += ws.length) {
      t.true(out[k] === 1 || out[k] === -1);
      if (out[k] === 1) plus++;
    }
    const p = (w + 1) / 2;
    t.true(nearProbability(plus / DRAWS, p, DRAWS), `w = ${w}: P(+1) = ${plus / DRAWS}, expected ${p}`);
  });
});

test("ternary connect samples sign(w) with probability |w| and 0 otherwise", (t) => {
  const ws = [-1, -0.6, -0.2, 0, 0.3, 0.75, 1];
  const latent = new Float32Array(ws.length * DRAWS);
  for (let k = 0; k < latent.length; k++) latent[k] = ws[k % ws.length];
  const out = new Float32Array(latent.length);
  sampleTernary(latent, out, new Xorshift128(6));
  ws.forEach((w, c) => {
    let nonzero = 0;
    for (let k = c; k < out.length; k += ws.length) {
      if (out[k] !== 0) {
        nonzero++;
        t.is(out[k], Math.sign(w), `w = ${w} sampled ${out[k]}`);
      } else {
        t.true(Object.is(out[k], 0), "zero is +0");
      }
    }
    const p = Math.abs(w);
    t.true(nearProbability(nonzero / DRAWS, p, DRAWS), `w = ${w}: P(nonzero) = ${nonzero / DRAWS}, expected ${p}`);
  });
});

test("deterministic weights are sign(w) for BC and sign(w) beyond |w| > 0.5 for TC", (t) => {
  const latent = Float32Array.from([-1, -0.51, -0.5, -0.1, 0, 0.1, 0.5, 0.51, 1]);
  const b = new Float32Array(latent.length);
  const tc = new Float32Array(latent.length);
  deterministicBinary(latent, b);
  deterministicTernary(latent, tc);
  t.deepEqual(Array.from(b), [-1, -1, -1, -1, 1, 1, 1, 1, 1]);
  t.deepEqual(Array.from(tc).map((v) => v + 0), [-1, -1, 0, 0, 0, 0, 0, 1, 1]);
});

test("QBP windows span `window` exponents ending at 0 for the input layer and 2 for hidden layers", (t) => {
  t.deepEqual(qbpWindow(0, 8), { lo: -7, hi: 0 });
  t.deepEqual(qbpWindow(1, 8), { lo: -5, hi: 2 });
  t.deepEqual(qbpWindow(3, 4), { lo: -1, hi: 2 });
});

test("QBP rounding is unbiased and yields only zero or powers of two inside the window", (t) => {
  const { lo, hi } = qbpWindow(1, 8); // [-5, 2]
  const xs = [0, 1 / 256, 0.01, -0.02, 0.3, 0.5, -0.7, 1, 1.37, -2.9, 3.999, 4];
  const src = new Float32Array(xs.length * DRAWS);
  for (let k = 0; k < src.length; k++) src[k] = xs[k % xs.length];
  const dst = new Float32Array(src.length);
  qbpRoundArray(src, dst, src.length, lo, hi, new Xorshift128(9));
  xs.forEach((x0, c) => {
    const x = Math.fround(x0);
    const ax = Math.abs(x);
    const j = Math.floor(Math.log2(ax));
    let sum = 0;
    let sumSq = 0;
    let bad = 0;
    for (let k = c; k < dst.length; k += xs.length) {
      const q = dst[k];
      sum += q;
      sumSq += q * q;
      if (x === 0) {
        if (q !== 0) bad++;
        continue;
      }
      if (q === 0) {
        if (ax >= 2 ** lo) bad++; // only values below the window may round to zero
        continue;
      }
      const e = Math.log2(Math.abs(q));
      const ok = Number.isInteger(e) && e >= lo && e <= hi && Math.sign(q) === Math.sign(x) &&
        (ax < 2 ** lo ? e === lo : e === j || e === j + 1);
      if (!ok) bad++;
    }
    t.is(bad, 0, `x = ${x}: ${bad} draws outside {0, neighbouring powers of two in [2^${lo}, 2^${hi}]}`);
    const mean = sum / DRAWS;
    const sd = Math.sqrt(Math.max(0, sumSq / DRAWS - mean * mean));
    t.true(Math.abs(mean - x) <= 5 * (sd / Math.sqrt(DRAWS)) + 1e-12, `x = ${x}: mean ${mean}`);
  });
});

test("QBP clips magnitudes above 2^hi to 2^hi, keeping the sign", (t) => {
  const rng = new Xorshift128(1);
  t.is(qbpRound(5, -5, 2, rng), 4);
  t.is(qbpRound(-1000, -5, 2, rng), -4);
  t.is(qbpRound(1.5, -7, 0, rng), 1);
  t.is(qbpRound(0, -7, 0, rng), 0);
});

test("QBP rounds pixel values exactly: 255/256 goes to 1/2 or 1, 1/256 to 0 or 1/128", (t) => {
  const rng = new Xorshift128(2);
  const { lo, hi } = qbpWindow(0, 8);
  const seen = new Set<number>();
  for (let k = 0; k < 2000; k++) {
    seen.add(qbpRound(255 / 256, lo, hi, rng));
    seen.add(qbpRound(1 / 256, lo, hi, rng) * 1000);
  }
  t.deepEqual([...seen].sort((a, b) => a - b), [0, 0.5, 1, 1000 / 128]);
});

test("scalar and array QBP rounding consume the generator identically", (t) => {
  const src = Float32Array.from([0.3, 0, -1.7, 9, 1e-4, 0.0625, -0.01, 2.5]);
  const a = new Float32Array(src.length);
  const r1 = new Xorshift128(33);
  const r2 = new Xorshift128(33);
  qbpRoundArray(src, a, src.length, -5, 2, r1);
  const b = Array.from(src, (x) => qbpRound(x, -5, 2, r2));
  t.deepEqual(Array.from(a), b);
  t.deepEqual(r1.getState(), r2.getState());
});

test("the generator is deterministic per seed and roughly uniform", (t) => {
  const a = new Xorshift128(123);
  const b = new Xorshift128(123);
  const c = new Xorshift128(124);
  const xs = Array.from({ length: 5 }, () => a.nextU32());
  t.deepEqual(xs, Array.from({ length: 5 }, () => b.nextU32()));
  t.notDeepEqual(xs, Array.from({ length: 5 }, () => c.nextU32()));
  let sum = 0;
  for (let k = 0; k < 100000; k++) sum += a.nextFloat();
  t.true(Math.abs(sum / 100000 - 0.5) < 0.005);
});
