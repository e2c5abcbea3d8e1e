import test from "ava";
import { ReferenceMlp } from "../../host/reference/mlp.ts";
import { wideWindowExtra } from "../../host/reference/batchnorm.ts";
import { VARIANTS, type Variant } from "../../host/reference/options.ts";
import { Xorshift128 } from "../../host/reference/prng.ts";
import { defaultSchedule, learningRate } from "../../host/reference/schedule.ts";
import { stepsPerEpoch, testError, trainEpoch } from "../../host/reference/train.ts";

/**
 * A separable toy problem: each class has a random on/off prototype over `features`
 * pixels; a sample is its prototype with 8 % of the pixels flipped and random
 * intensities (on: 96..255, off: 0).
 */
function toyData(seed: number, count: number, features: number, classes: number) {
  const rng = new Xorshift128(seed);
  const protos = Array.from({ length: classes }, () => Array.from({ length: features }, () => rng.nextFloat() < 0.5));
  const images = new Uint8Array(count * features);
  const labels = new Uint8Array(count);
  for (let s = 0; s < count; s++) {
    const c = rng.nextU32() % classes;
    labels[s] = c;
    for (let i = 0; i < features; i++) {
      const on = protos[c][i] !== rng.nextFloat() < 0.08;
      images[s * features + i] = on ? 96 + (rng.nextU32() % 160) : 0;
    }
  }
  return { images, labels, count, features };
}

function snapshot(m: ReferenceMlp): number[][] {
  return [
    ...m.weights.map((w) => Array.from(w)),
    ...m.bn.flatMap((bn) => [Array.from(bn.beta), Array.from(bn.runMean), Array.from(bn.runVar)]),
    m.rng.getState(),
  ];
}

test("the same seed gives bit-identical models after training; another seed does not", (t) => {
  const data = toyData(1, 256, 20, 3);
  const make = (seed: number) =>
    new ReferenceMlp({ sizes: [20, 12, 8, 3], variant: "float-tc-qbp", batch: 16, seed, ...defaultSchedule("float-tc-qbp"), decaySteps: 32 });
  const a = make(4);
  const b = make(4);
  const c = make(5);
  for (const m of [a, b, c]) for (let e = 0; e < 2; e++) trainEpoch(m, data, 9, e);
  t.deepEqual(snapshot(a), snapshot(b));
  t.notDeepEqual(snapshot(a), snapshot(c));
  t.is(a.evaluate(data.images, data.labels, data.count, "deterministic"), b.evaluate(data.images, data.labels, data.count, "deterministic"));
});

test("every variant is deterministic per seed, including evaluation and recalibration", (t) => {
  const data = toyData(2, 96, 12, 4);
  for (const variant of VARIANTS) {
    const runs = [0, 1].map(() => {
      const m = new ReferenceMlp({ sizes: [12, 10, 4], variant, batch: 32, seed: 77, ...defaultSchedule(variant), decaySteps: 6 });
      trainEpoch(m, data, 1, 0);
      trainEpoch(m, data, 1, 1);
      const det = m.evaluate(data.images, data.labels, data.count, "deterministic");
      m.recalibrate(data.images, data.count, "latent");
      return [snapshot(m), det];
    });
    t.deepEqual(runs[0], runs[1], variant);
  }
});

test("QBP weight gradients average to the exact gradient (fixed ternary weights)", (t) => {
  const sizes = [6, 5, 3];
  const n = 4;
  const make = (variant: Variant) => {
    const m = new ReferenceMlp({ sizes, variant, batch: n, seed: 3, lrStart: 1, lrEnd: 1, decaySteps: 1 });
    // |w| = 1 makes ternary sampling deterministic: sampled = sign(w) every time.
    const r = new Xorshift128(8);
    for (const w of m.weights) for (let k = 0; k < w.length; k++) w[k] = r.nextFloat() < 0.5 ? -1 : 1;
    for (const bn of m.bn) for (let j = 0; j < bn.units; j++) bn.beta[j] = r.nextFloat() - 0.5;
    return m;
  };
  const rng = new Xorshift128(21);
  const images = Uint8Array.from({ length: n * sizes[0] }, () => (rng.nextFloat() < 0.25 ? 0 : rng.nextU32() & 255));
  const labels = Uint8Array.from([0, 1, 2, 1]);
  const exact = make("float-tc");
  exact.computeGradients(images, labels, n);
  const q = make("float-tc-qbp");
  const draws = 3000;
  const sums = exact.gradWeights.map((g) => new Float64Array(g.length));
  const sqs = exact.gradWeights.map((g) => new Float64Array(g.length));
  let differs = false;
  for (let d = 0; d < draws; d++) {
    q.computeGradients(images, labels, n);
    q.gradWeights.forEach((g, l) => {
      for (let k = 0; k < g.length; k++) {
        sums[l][k] += g[k];
        sqs[l][k] += g[k] * g[k];
        if (g[k] !== exact.gradWeights[l][k]) differs = true;
      }
    });
  }
  t.true(differs, "QBP gradients are quantized");
  let worst = 0;
  exact.gradWeights.forEach((g, l) => {
    for (let k = 0; k < g.length; k++) {
      const mean = sums[l][k] / draws;
      const sd = Math.sqrt(Math.max(0, sqs[l][k] / draws - mean * mean));
      const z = Math.abs(mean - g[k]) / (sd / Math.sqrt(draws) + 1e-6);
      worst = Math.max(worst, z);
    }
  });
  t.true(worst < 5, `largest deviation ${worst.toFixed(2)} standard errors`);
  // The betas' gradients do not involve the layer inputs: QBP leaves them exact.
  q.bn.forEach((bn, l) => t.deepEqual(Array.from(bn.gradBeta), Array.from(exact.bn[l].gradBeta)));
});

for (const variant of ["float-bc-qbp", "float-tc-qbp"] as const) {
  test(`a small ${variant} net learns the toy problem at batch 1 (online normalisation) to over 90 % test accuracy`, (t) => {
    const train = toyData(10, 1200, 32, 4);
    const test_ = toyData(10, 1600, 32, 4);
    const held = { images: test_.images.subarray(1200 * 32), labels: test_.labels.subarray(1200), count: 400, features: 32 };
    const epochs = 3;
    const m = new ReferenceMlp({
      sizes: [32, 24, 4], variant, batch: 1, seed: 1, ...defaultSchedule(variant, 1), decaySteps: epochs * train.count,
    });
    t.true(m.bn.every((bn) => bn.onlineShift === 4)); // about 16 samples at every batch size
    for (let e = 0; e < epochs; e++) trainEpoch(m, train, 2, e);
    m.recalibrate(train.images, train.count, "deterministic");
    const det = testError(m, held, "deterministic");
    t.true(det < 0.1, `deterministic test error ${det}`);
  });
}

test("online, a layer with 2^11 inputs or more averages 2^E times as many samples, E the rate's halvings so far (up to 2), as the module", (t) => {
  const m = new ReferenceMlp({ sizes: [2048, 2047, 4], variant: "float-tc-qbp", batch: 4, seed: 1, lrStart: 1, lrEnd: 1 / 16, decaySteps: 100, onlineBelow: 8, onlineShift: 2 });
  t.deepEqual(m.bn.map((bn) => [bn.onlineShift, bn.wide]), [[2, true], [2, false]]);
  const images = new Uint8Array(4 * 2048).map((_, i) => (i * 37) & 255), labels = Uint8Array.from([0, 1, 2, 3]);
  const extras: number[][] = [];
  for (const step of [0, 30, 50, 99]) {
    m.step = step; // the rate 2^-(4 step / 100): 0, 1.2, 2 and 3.96 halvings
    m.trainBatch(images, labels, 4);
    extras.push(m.bn.map((bn) => bn.onlineExtra));
  }
  t.deepEqual(extras, [[0, 0], [1, 0], [2, 0], [2, 0]]);
  t.is(wideWindowExtra(1, 2), 2); // a rising rate counts as two halvings (the module's unsigned min)
});

for (const variant of VARIANTS) {
  test(`a small ${variant} net learns a separable toy problem to over 95 % test accuracy`, (t) => {
    const train = toyData(10, 1200, 32, 4);
    const test_ = toyData(10, 1600, 32, 4); // same prototypes (same seed); the last 400 samples are unseen
    const held = {
      images: test_.images.subarray(1200 * 32),
      labels: test_.labels.subarray(1200),
      count: 400,
      features: 32,
    };
    const epochs = 6;
    const m = new ReferenceMlp({
      sizes: [32, 24, 4], variant, batch: 16, seed: 1, ...defaultSchedule(variant),
      decaySteps: epochs * stepsPerEpoch(train.count, 16),
    });
    for (let e = 0; e < epochs; e++) trainEpoch(m, train, 2, e);
    const det = testError(m, held, "deterministic");
    const latent = testError(m, held, "latent");
    t.true(det < 0.05, `deterministic test error ${det}`);
    t.true(latent < 0.05, `latent test error ${latent}`);
  });
}

test("the learning rate decays exponentially per step from lrStart to lrEnd, then stays", (t) => {
  t.is(learningRate(0.3, 0.03, 100, 0), 0.3);
  t.true(Math.abs(learningRate(0.3, 0.03, 100, 50) - Math.sqrt(0.3 * 0.03)) < 1e-12);
  t.is(learningRate(0.3, 0.03, 100, 100), 0.03);
  t.is(learningRate(0.3, 0.03, 100, 1000), 0.03);
  const m = new ReferenceMlp({ sizes: [4, 2], variant: "float32", batch: 2, seed: 1, lrStart: 1, lrEnd: 0.25, decaySteps: 2 });
  const lrs: number[] = [];
  for (let s = 0; s < 4; s++) {
    lrs.push(m.learningRate());
    m.trainBatch(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]), Uint8Array.from([0, 1]), 2);
  }
  t.deepEqual(lrs, [1, 0.5, 0.25, 0.25]);
});

test("the float form's end rate follows the module's lrend: lower by 2^(lrend - 4) beyond 2^17 samples", (t) => {
  const base = defaultSchedule("float-tc-qbp", 32);
  t.is(defaultSchedule("float-tc-qbp", 32, 2500).lrEnd, base.lrEnd); // 80,000 samples: lrend 4
  t.is(defaultSchedule("float-tc-qbp", 32, 56250).lrEnd, base.lrEnd / 16); // 1.8 M samples: lrend 8
  t.is(defaultSchedule("float-bc-qbp", 1, 24000).lrEnd, defaultSchedule("float-bc-qbp", 1).lrEnd);
  t.is(defaultSchedule("float-bc-qbp", 32, 56250).lrStart, base.lrStart);
  t.is(defaultSchedule("float32", 32, 56250).lrEnd, defaultSchedule("float32", 32).lrEnd);
});

test("the float form's rates at batch 1 follow the module's lr and lrend: TC from 2^-2, BC from 2^-1 and ending 2x higher", (t) => {
  const perSample = (v: "float-tc-qbp" | "float-bc-qbp", batch: number) => {
    const s = defaultSchedule(v, batch, 24000 / batch);
    return [s.lrStart / batch, s.lrEnd / batch];
  };
  const [tc32, tcEnd32] = perSample("float-tc-qbp", 32), [bc32, bcEnd32] = perSample("float-bc-qbp", 32);
  t.deepEqual(perSample("float-tc-qbp", 1), [tc32 / 4, tcEnd32]);
  t.deepEqual(perSample("float-bc-qbp", 1), [bc32 / 2, bcEnd32 * 2]);
  t.deepEqual(perSample("float-tc-qbp", 2), [tc32, tcEnd32]);
});

test("latent weights stay clipped to [-1, 1] and betas move with betaLrScale", (t) => {
  const data = toyData(3, 64, 10, 2);
  const m = new ReferenceMlp({ sizes: [10, 6, 2], variant: "float-bc", batch: 8, seed: 2, lrStart: 1000, lrEnd: 1000, decaySteps: 1, betaLrScale: 0 });
  trainEpoch(m, data, 1, 0);
  for (const w of m.weights) for (const v of w) t.true(v >= -1 && v <= 1);
  t.true(m.weights[0].some((v) => v === 1 || v === -1), "a large learning rate saturates some weights");
  for (const bn of m.bn) t.deepEqual(Array.from(bn.beta), new Array(bn.units).fill(0));
});

test("invalid options and batches are rejected", (t) => {
  const base = { sizes: [4, 3, 2], variant: "float32" as Variant, batch: 2, seed: 1, lrStart: 0.1, lrEnd: 0.01, decaySteps: 10 };
  t.throws(() => new ReferenceMlp({ ...base, sizes: [4] }), { instanceOf: RangeError });
  t.throws(() => new ReferenceMlp({ ...base, variant: "float16" as Variant }), { instanceOf: RangeError });
  t.throws(() => new ReferenceMlp({ ...base, layerLrScales: [1] }), { instanceOf: RangeError });
  const m = new ReferenceMlp(base);
  t.throws(() => m.trainBatch(new Uint8Array(12), new Uint8Array(3), 3), { instanceOf: RangeError });
  t.throws(() => m.trainBatch(new Uint8Array(8), Uint8Array.from([0, 2]), 2), { instanceOf: RangeError });
  t.throws(() => m.trainBatch(new Uint8Array(7), new Uint8Array(2), 2), { instanceOf: RangeError });
});
