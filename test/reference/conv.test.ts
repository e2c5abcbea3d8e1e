import test, { type ExecutionContext } from "ava";
import { parseConvSpec } from "../../host/module/conv-spec.ts";
import { convBackwardMasked, convForward, convWeightGrad, poolBackward, poolForward } from "../../host/reference/conv.ts";
import { ReferenceConvNet } from "../../host/reference/convnet.ts";
import { ReferenceMlp } from "../../host/reference/mlp.ts";
import type { Variant } from "../../host/reference/options.ts";
import { Xorshift128 } from "../../host/reference/prng.ts";
import { oracleConvLoss } from "./conv-oracle.ts";
import { checkAgainstOracle } from "./gradient-check.ts";

/** Random pixels, a fraction `zeros` of them exactly 0 (the zero-skipping paths). */
function tinyBatch(seed: number, n: number, features: number, classes: number, zeros = 0.3) {
  const rng = new Xorshift128(seed);
  const images = new Uint8Array(n * features);
  for (let k = 0; k < images.length; k++) images[k] = rng.nextFloat() < zeros ? 0 : 1 + (rng.nextU32() % 255);
  const labels = Uint8Array.from({ length: n }, (_, b) => b % classes);
  return { images, labels };
}

function net(text: string, variant: Variant, batch: number, seed = 7) {
  const s = parseConvSpec(text);
  return new ReferenceConvNet({ input: s.input, layers: s.layers, variant, batch, seed, lrStart: 0.1, lrEnd: 0.1, decaySteps: 1 });
}

/**
 * Central finite differences (float64 oracle, h = 1e-6) of the loss w.r.t. every propagated
 * weight and every beta, against the net's analytic gradients.
 */
function checkGradients(t: ExecutionContext, text: string, variant: Variant, n: number) {
  const model = net(text, variant, n);
  const brng = new Xorshift128(3);
  for (const bn of model.bn) for (let j = 0; j < bn.units; j++) bn.beta[j] = brng.nextFloat() - 0.5;
  // With +-1 weights, zero pixels make equal sums (a max-pool tie, not differentiable) likely.
  const { images, labels } = tinyBatch(11, n, model.features, model.classes, variant === "float32" ? 0.3 : 0);
  const r = model.computeGradients(images, labels, n);
  const oracle = {
    input: model.input, layers: [...model.layers],
    weights: model.sampled.map((w) => Float64Array.from(w)), betas: model.bn.map((bn) => Float64Array.from(bn.beta)),
  };
  const base = oracleConvLoss(oracle, images, labels, n);
  t.true(Math.abs(base - r.loss) <= 1e-5 * Math.max(1, base), `loss ${r.loss} vs oracle ${base}`);
  const { worst, checked, nonzero } = checkAgainstOracle(oracle, () => oracleConvLoss(oracle, images, labels, n),
    { weights: model.gradWeights, betas: model.bn.map((bn) => bn.gradBeta) });
  t.true(nonzero > checked / 2, `${nonzero} of ${checked} gradients are not ~0: the check has teeth`);
  t.true(worst < 2e-3, `worst relative gradient error ${worst} over ${checked} parameters`);
}

test("float32 conv + pool + dense gradients match finite differences of a float64 oracle", (t) => {
  checkGradients(t, "1x4x4-c3-p-d4-3", "float32", 3);
});

test("two conv layers on two channels, non-square images, pooled into the output layer", (t) => {
  checkGradients(t, "2x4x6-c3-c2-p-4", "float32", 3);
});

test("a pool between two convs (the grammar puts every pool right after a conv)", (t) => {
  checkGradients(t, "2x4x4-c2-p-c3-3", "float32", 4);
});

test("binary- and ternary-connect conv gradients are those of the sampled weights", (t) => {
  checkGradients(t, "1x4x4-c3-p-d4-3", "float-bc", 3);
  checkGradients(t, "2x4x6-c3-c2-p-4", "float-tc", 3);
});

test("a conv-grammar net without conv layers is ReferenceMlp, bit for bit (same init, order and flatten)", (t) => {
  for (const variant of ["float32", "float-tc-qbp"] as Variant[]) {
    const conv = net("3x2x2-d5-4", variant, 4, 9);
    const mlp = new ReferenceMlp({ sizes: [12, 5, 4], variant, batch: 4, seed: 9, lrStart: 0.1, lrEnd: 0.1, decaySteps: 1 });
    const { images, labels } = tinyBatch(5, 4, 12, 4);
    for (let s = 0; s < 3; s++) t.deepEqual(conv.trainBatch(images, labels, 4), mlp.trainBatch(images, labels, 4));
    t.deepEqual(conv.weights, mlp.weights, variant);
    const a = new Float32Array(16), b = new Float32Array(16);
    conv.scores(images, 4, "deterministic", a);
    mlp.scores(images, 4, "deterministic", b);
    t.deepEqual(a, b);
    // Recalibrated (population statistics with the test-time weights), still bit for bit.
    const more = tinyBatch(6, 11, 12, 4);
    conv.recalibrate(more.images, 11, "deterministic");
    mlp.recalibrate(more.images, 11, "deterministic");
    t.deepEqual(conv.bn.map((bn) => [bn.runMean, bn.runVar]), mlp.bn.map((bn) => [bn.runMean, bn.runVar]), variant);
    conv.scores(images, 4, "deterministic", a);
    mlp.scores(images, 4, "deterministic", b);
    t.deepEqual(a, b);
  }
});

test("recalibrate gives a conv layer the statistics of all its positions with the test-time weights", (t) => {
  const s = parseConvSpec("1x4x4-c2-p-3");
  const m = new ReferenceConvNet({ input: s.input, layers: s.layers, variant: "float-tc-qbp", batch: 2, seed: 5, lrStart: 30, lrEnd: 30, decaySteps: 1, normalisation: "mad" });
  const { images, labels } = tinyBatch(8, 5, 16, 3);
  m.trainBatch(images, labels, 2);
  m.recalibrate(images, 5, "deterministic");
  // The conv layer's sums of the 5 images (80 positions) with the deterministic ternary weights.
  const w = m.weights[0].map((v) => (v > 0.5 ? 1 : v < -0.5 ? -1 : 0));
  const z = new Float32Array(5 * 16 * 2);
  convForward(Float32Array.from(images, (p) => p / 256), 5, { h: 4, w: 4, cin: 1, cout: 2 }, w, z);
  for (let c = 0; c < 2; c++) {
    const zs = [...z].filter((_, i) => i % 2 === c);
    const mean = zs.reduce((a, v) => a + v, 0) / 80;
    const mad = zs.reduce((a, v) => a + Math.abs(v - mean), 0) / 80;
    t.true(Math.abs(m.bn[0].runMean[c] - mean) < 1e-5, `channel ${c} mean`);
    t.true(Math.abs(m.bn[0].runSpread(c) - mad) < 1e-5, `channel ${c} spread`);
  }
});

test("glorot rate factors are fan_in + fan_out over the 784 -> 256 layer's 1040, a conv's fans 9·cin + 9·cout", (t) => {
  const s = parseConvSpec("1x4x4-c3-p-d4-3");
  const m = new ReferenceConvNet({ input: s.input, layers: s.layers, variant: "float-tc", batch: 2, seed: 1, lrStart: 1, lrEnd: 1, decaySteps: 1, layerLrScales: "glorot" });
  t.deepEqual(m.layerLrScales, [(9 + 27) / 1040, (12 + 4) / 1040, (4 + 3) / 1040]);
});

test("\"module\" rate factors are the integer module's power-of-two boosts over the 784 -> 256 layer's 2^10", (t) => {
  const s = parseConvSpec("3x4x4-c3-p-d4-3");
  const m = new ReferenceConvNet({ input: s.input, layers: s.layers, variant: "float-tc", batch: 2, seed: 1, lrStart: 1, lrEnd: 1, decaySteps: 1, layerLrScales: "module" });
  t.deepEqual(m.layerLrScales, [32 / 1024, 16 / 1024, 4 / 1024]); // fans 54, 16, 7
  const mlp = new ReferenceMlp({ sizes: [784, 128, 10], variant: "float-bc", batch: 2, seed: 1, lrStart: 1, lrEnd: 1, decaySteps: 1, layerLrScales: "module" });
  t.deepEqual(mlp.layerLrScales, [512 / 1024, 128 / 1024]); // fans 912, 138
  // capped at the tuned layer's rate, as the module's boost: fans 45, 1,836 and 3,202 (2^11)
  const wide = parseConvSpec("1x4x4-c4-c200-2");
  const capped = new ReferenceConvNet({ input: wide.input, layers: wide.layers, variant: "float-tc", batch: 2, seed: 1, lrStart: 1, lrEnd: 1, decaySteps: 1, layerLrScales: "module" });
  t.deepEqual(capped.layerLrScales, [32 / 1024, 1, 1]);
});

test("conv kernels: a single weight moves a pixel, padding drops what falls outside", (t) => {
  // 1 channel 3x3 image with pixel k = k + 1; weight at (ky, kx) = (0, 2) only: z(y, x) = in(y - 1, x + 1).
  const g = { h: 3, w: 3, cin: 1, cout: 1 };
  const x = Float32Array.from({ length: 9 }, (_, k) => k + 1);
  const W = new Float32Array(9);
  W[2] = 1;
  const z = new Float32Array(9);
  convForward(x, 1, g, W, z);
  t.deepEqual([...z], [0, 0, 0, 2, 3, 0, 5, 6, 0]);
  // The weight gradient of that position sums dz(y, x) · in(y - 1, x + 1) over valid pixels.
  const dz = Float32Array.from({ length: 9 }, (_, k) => (k % 2 ? 1 : -1));
  const dW = new Float32Array(9);
  convWeightGrad(x, 1, g, dz, dW);
  t.is(dW[2], -2 + 3 + 5 - 6);
  // Backward: dx(y, x) = dz(y + 1, x - 1); the mask zeroes input 4 (index 3).
  const mask = Float32Array.from({ length: 9 }, (_, k) => (k === 3 ? 0 : 1));
  const dx = new Float32Array(9);
  convBackwardMasked(dz, 1, g, W, mask, dx);
  t.deepEqual([...dx], [0, dz[3], dz[4], 0, dz[6], dz[7], 0, 0, 0]);
});

test("max pool keeps the first maximum per channel and routes the error to it", (t) => {
  // 2x2 image, 2 channels (HWC): channel 0 values 1, 4, 4, 2 (tie: the first 4 wins), channel 1 all 0.
  const x = Float32Array.of(1, 0, 4, 0, 4, 0, 2, 0);
  const out = new Float32Array(2);
  const arg = new Int32Array(2);
  poolForward(x, 1, 2, 2, 2, out, arg);
  t.deepEqual([...out], [4, 0]);
  t.deepEqual([...arg], [2, 1]);
  const dx = new Float32Array(8).fill(9);
  poolBackward(Float32Array.of(5, 7), arg, 2, dx, 8);
  t.deepEqual([...dx], [0, 7, 5, 0, 0, 0, 0, 0]);
});

/** Each image is dark with one bright 2x2 block in one of 4 quadrants; the label is the quadrant. */
function quadrants(count: number, seed: number) {
  const rng = new Xorshift128(seed);
  const images = new Uint8Array(count * 64);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const q = rng.nextU32() & 3;
    labels[i] = q;
    const y0 = (q >> 1) * 4 + (rng.nextU32() % 3), x0 = (q & 1) * 4 + (rng.nextU32() % 3);
    for (let k = 0; k < 64; k++) images[i * 64 + k] = rng.nextU32() & 31;
    for (const [dy, dx] of [[0, 0], [0, 1], [1, 0], [1, 1]]) images[i * 64 + (y0 + dy) * 8 + x0 + dx] = 200 + (rng.nextU32() & 31);
  }
  return { images, labels };
}

test("float32 and float TC+QBP conv nets learn a toy translation task", (t) => {
  const train = quadrants(512, 1);
  const held = quadrants(256, 2);
  for (const [variant, lr, beta] of [["float32", 0.1, 1], ["float-tc-qbp", 30, 0.03]] as const) {
    const s = parseConvSpec("1x8x8-c4-p-c8-p-4");
    const m = new ReferenceConvNet({ input: s.input, layers: s.layers, variant, batch: 16, seed: 3, lrStart: lr, lrEnd: lr / 10, decaySteps: 96, betaLrScale: beta });
    const before = m.evaluate(held.images, held.labels, 256, "deterministic");
    for (let epoch = 0; epoch < 3; epoch++) {
      for (let s0 = 0; s0 + 16 <= 512; s0 += 16) m.trainBatch(train.images.subarray(s0 * 64, (s0 + 16) * 64), train.labels.subarray(s0, s0 + 16), 16);
    }
    const after = m.evaluate(held.images, held.labels, 256, "deterministic");
    t.log(`${variant}: held-out accuracy ${before}/256 before, ${after}/256 after 96 steps`);
    t.true(after >= 0.9 * 256, `${variant}: ${after}/256`);
  }
});

test("relu-bounded batch-norm backward equals the exact one unless a hidden ReLU is off", (t) => {
  const n = 3;
  const { images, labels } = tinyBatch(11, n, 16, 3);
  const grads = (bnBackward: "exact" | "relu-bounded", beta: number) => {
    const s = parseConvSpec("1x4x4-c3-p-d4-3");
    const m = new ReferenceConvNet({ input: s.input, layers: s.layers, variant: "float32", batch: n, seed: 7, lrStart: 0.1, lrEnd: 0.1, decaySteps: 1, bnBackward });
    for (const bn of m.bn) bn.beta.fill(beta);
    m.computeGradients(images, labels, n);
    return m.gradWeights.map((g) => Array.from(g));
  };
  t.deepEqual(grads("relu-bounded", 50), grads("exact", 50));
  t.notDeepEqual(grads("relu-bounded", 0)[0], grads("exact", 0)[0]);
});
