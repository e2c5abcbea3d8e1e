import test from "ava";
import { ReferenceMlp } from "../../host/reference/mlp.ts";
import type { Variant } from "../../host/reference/options.ts";
import { Xorshift128 } from "../../host/reference/prng.ts";
import { checkAgainstOracle } from "./gradient-check.ts";
import { type OracleNet, oracleEvalScores, oracleLoss } from "./oracle.ts";

function tinyBatch(seed: number, n: number, features: number, classes: number) {
  const rng = new Xorshift128(seed);
  const images = new Uint8Array(n * features);
  // Some exact zeros so the zero-skipping paths are exercised.
  for (let k = 0; k < images.length; k++) images[k] = rng.nextFloat() < 0.3 ? 0 : rng.nextU32() & 255;
  const labels = new Uint8Array(n);
  for (let b = 0; b < n; b++) labels[b] = b % classes;
  return { images, labels };
}

/**
 * Central finite differences (float64 oracle, h = 1e-6) of the loss w.r.t. every
 * propagated weight and every beta, against the model's analytic gradients.
 */
function checkGradients(t: import("ava").ExecutionContext, variant: Variant, sizes: number[], n: number, mad = false, fixedWeights = false) {
  const model = new ReferenceMlp({ sizes, variant, batch: n, seed: 7, lrStart: 0.1, lrEnd: 0.1, decaySteps: 1, normalisation: mad ? "mad" : "variance", fixedWeights });
  // Non-zero betas so the ReLUs cut at varied points.
  const brng = new Xorshift128(3);
  for (const bn of model.bn) for (let j = 0; j < bn.units; j++) bn.beta[j] = brng.nextFloat() - 0.5;
  const { images, labels } = tinyBatch(11, n, sizes[0], sizes[sizes.length - 1]);
  const r = model.computeGradients(images, labels, n);
  const net: OracleNet = {
    sizes,
    weights: model.sampled.map((w) => Float64Array.from(w)),
    betas: model.bn.map((bn) => Float64Array.from(bn.beta)),
    mad,
  };
  const base = oracleLoss(net, images, labels, n);
  t.true(Math.abs(base - r.loss) <= 1e-5 * Math.max(1, base), `loss ${r.loss} vs oracle ${base}`);
  const { worst, checked } = checkAgainstOracle(net, () => oracleLoss(net, images, labels, n),
    { weights: model.gradWeights, betas: model.bn.map((bn) => bn.gradBeta) });
  t.true(worst < 2e-3, `worst relative gradient error ${worst} over ${checked} parameters`);
}

test("float32 gradients of a 6-5-3 net match finite differences of a float64 oracle", (t) => {
  checkGradients(t, "float32", [6, 5, 3], 4);
});

test("float32 gradients of a 7-6-5-4 net (two hidden layers) match finite differences", (t) => {
  checkGradients(t, "float32", [7, 6, 5, 4], 5);
});

test("binary-connect gradients are those of the sampled weights (straight-through)", (t) => {
  checkGradients(t, "float-bc", [6, 5, 3], 4);
});

test("ternary-connect gradients are those of the sampled weights (straight-through)", (t) => {
  checkGradients(t, "float-tc", [7, 6, 5, 4], 5);
});

test("fixedWeights: BC/TC train with the deterministic weights, and the gradients are theirs", (t) => {
  for (const variant of ["float-bc", "float-tc"] as const) {
    const model = new ReferenceMlp({ sizes: [7, 6, 4], variant, batch: 5, seed: 7, lrStart: 0.1, lrEnd: 0.1, decaySteps: 1, fixedWeights: true });
    for (let step = 0; step < 3; step++) {
      const { images, labels } = tinyBatch(20 + step, 5, 7, 4);
      const rng = model.rng.getState();
      model.computeGradients(images, labels, 5);
      t.deepEqual(model.rng.getState(), rng, `${variant}: no draws for the weights`);
      model.weights.forEach((w, l) => w.forEach((v, k) => {
        const want = variant === "float-bc" ? (v >= 0 ? 1 : -1) : Math.abs(v) > 0.5 ? Math.sign(v) : 0;
        if (model.sampled[l][k] !== want) t.fail(`${variant} step ${step} layer ${l} weight ${k}: ${model.sampled[l][k]} for latent ${v}`);
      }));
      model.applyUpdate();
    }
    t.pass();
  }
  checkGradients(t, "float-tc", [7, 6, 5, 4], 5, false, true);
});

test("MAD normalisation (the method's BC/TC form): its exact backward matches finite differences", (t) => {
  checkGradients(t, "float-bc", [6, 5, 3], 8, true);
  checkGradients(t, "float-bc", [6, 5, 3], 16, true);
  checkGradients(t, "float-tc", [7, 6, 5, 4], 8, true);
});

test("evaluation scores use deterministic or latent weights with the running statistics", (t) => {
  const sizes = [9, 7, 4];
  const n = 6;
  for (const variant of ["float-bc", "float-tc-qbp", "float32"] as Variant[]) {
    const model = new ReferenceMlp({ sizes, variant, batch: n, seed: 12, lrStart: 3, lrEnd: 1, decaySteps: 10, betaLrScale: 0.1 });
    const { images, labels } = tinyBatch(13, n, sizes[0], sizes[2]);
    for (let s = 0; s < 5; s++) model.trainBatch(images, labels, n);
    for (const mode of ["deterministic", "latent"] as const) {
      const weights = model.weights.map((w) => Float64Array.from(w, (v) => {
        if (mode === "latent" || variant === "float32") return v;
        if (variant.startsWith("float-bc")) return v >= 0 ? 1 : -1;
        return Math.abs(v) > 0.5 ? Math.sign(v) : 0;
      }));
      const expected = oracleEvalScores(
        { sizes, weights, betas: model.bn.map((bn) => Float64Array.from(bn.beta)) },
        model.bn.map((bn) => Float64Array.from(bn.runMean)),
        model.bn.map((bn) => Float64Array.from(bn.runVar)),
        images, n,
      );
      const got = new Float32Array(n * sizes[2]);
      model.scores(images, n, mode, got);
      let worst = 0;
      for (let b = 0; b < n; b++) for (let k = 0; k < sizes[2]; k++) worst = Math.max(worst, Math.abs(got[b * sizes[2] + k] - expected[b][k]));
      t.true(worst < 1e-4, `${variant} ${mode}: max |score difference| ${worst}`);
    }
  }
});

test("relu-bounded batch-norm backward equals the exact one unless a hidden ReLU is off", (t) => {
  const sizes = [6, 5, 3];
  const n = 4;
  const { images, labels } = tinyBatch(11, n, sizes[0], sizes[2]);
  const grads = (bnBackward: "exact" | "relu-bounded", beta: number) => {
    const m = new ReferenceMlp({ sizes, variant: "float32", batch: n, seed: 7, lrStart: 0.1, lrEnd: 0.1, decaySteps: 1, bnBackward });
    for (const bn of m.bn) bn.beta.fill(beta);
    m.computeGradients(images, labels, n);
    return m.gradWeights.map((g) => Array.from(g));
  };
  // Betas far above any normalised value: no ReLU is off, so both rules agree exactly.
  t.deepEqual(grads("relu-bounded", 50), grads("exact", 50));
  // Betas at 0: about half the hidden units are off, and the first layer's gradient changes.
  t.notDeepEqual(grads("relu-bounded", 0)[0], grads("exact", 0)[0]);
});
