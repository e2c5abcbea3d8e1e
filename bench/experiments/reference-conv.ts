/**
 * Experiment (not a test): the float forms of a small CNN on Fashion-MNIST, float32 and the
 * method's float BC/TC+QBP, with the tuned default schedules of schedule.ts.
 *   node --import tsx bench/experiments/reference-conv.ts [spec] [epochs] [trainCount] [variants,...] [testCount]
 * Defaults: 1x28x28-c8-p-c16-p-d64-10, 1 epoch, all 60,000 training samples, float32,float-tc-qbp,
 * all 10,000 test samples. Env: BATCH (default 32); LR="s0,s1": BC/TC rates as the integer
 * module's shifts lr, lrend (2^-s0 -> 2^-s1; the default schedule is 100 -> 10 = about 2^0 -> 2^-3.3).
 * "recalibrated": deterministic weights after recalibrating the normalisation statistics on
 * the first 8,192 training samples (the integer module's calibrate).
 */
import { readIdxDir, fashionMnistDir } from "../../host/datasets/idx.ts";
import { subset } from "../../host/datasets/dataset.ts";
import { shuffledOrder } from "../../host/datasets/dataset.ts";
import { parseConvSpec, planLayers } from "../../host/module/conv-spec.ts";
import { ReferenceConvNet } from "../../host/reference/convnet.ts";
import type { Variant } from "../../host/reference/options.ts";
import { defaultSchedule } from "../../host/reference/schedule.ts";

const [specText = "1x28x28-c8-p-c16-p-d64-10", epochsText = "1", countText = "60000", variantsText = "float32,float-tc-qbp", testText = "10000"] = process.argv.slice(2);
const spec = parseConvSpec(specText);
const epochs = Number(epochsText);
const dir = fashionMnistDir();
const fullTrain = readIdxDir(dir, "train");
const train = subset(fullTrain, shuffledOrder(fullTrain.count, 1, 0).subarray(0, Math.min(Number(countText), fullTrain.count)));
const testAll = readIdxDir(dir, "test");
const test = subset(testAll, Array.from({ length: Math.min(Number(testText), testAll.count) }, (_, i) => i));
const B = Number(process.env.BATCH ?? 32);
const steps = Math.floor(train.count / B) * epochs;
for (const variant of variantsText.split(",") as Variant[]) {
  const schedule = defaultSchedule(variant, B);
  if (process.env.LR && variant !== "float32") {
    const [s0, s1] = process.env.LR.split(",").map(Number);
    schedule.lrStart = (100 * 2 ** -s0 * B) / 32;
    schedule.lrEnd = (100 * 2 ** -s1 * B) / 32;
  }
  const m = new ReferenceConvNet({ input: spec.input, layers: spec.layers, variant, batch: B, seed: 1, decaySteps: steps, ...schedule });
  const t0 = performance.now();
  const images = new Uint8Array(B * train.features);
  const labels = new Uint8Array(B);
  for (let e = 0; e < epochs; e++) {
    const order = shuffledOrder(train.count, 1, e);
    for (let s = 0; s + B <= train.count; s += B) {
      for (let b = 0; b < B; b++) {
        const i = order[s + b];
        images.set(train.images.subarray(i * train.features, (i + 1) * train.features), b * train.features);
        labels[b] = train.labels[i];
      }
      m.trainBatch(images, labels, B);
    }
  }
  const secs = (performance.now() - t0) / 1000;
  const det = m.evaluate(test.images, test.labels, test.count, "deterministic") / test.count;
  const lat = m.evaluate(test.images, test.labels, test.count, "latent") / test.count;
  m.recalibrate(train.images, Math.min(train.count, 8192), "deterministic");
  const cal = m.evaluate(test.images, test.labels, test.count, "deterministic") / test.count;
  console.log(`${variant} ${specText} ${epochs} epoch(s) on ${train.count}, batch ${B}: test accuracy ${(100 * det).toFixed(2)} % deterministic, ${(100 * lat).toFixed(2)} % latent, ${(100 * cal).toFixed(2)} % recalibrated, ${secs.toFixed(0)} s training`);
}
