/**
 * Experiment (not a test): the float forms of a small CNN on Fashion-MNIST, float32 and the
 * method's float BC/TC+QBP, with the tuned default schedules of schedule.ts.
 *   node --import tsx bench/experiments/reference-conv.ts [spec] [epochs] [trainCount] [variants,...]
 * Defaults: 1x28x28-c8-p-c16-p-d64-10, 1 epoch, all 60,000 training samples, float32,float-tc-qbp.
 * FANSCALE=1: BC/TC weight rates per layer ∝ fan-in + fan-out relative to 1040 (the 784-256
 * layer the MLP schedule was tuned on) instead of relative to the net's first layer.
 */
import { readIdxDir, fashionMnistDir } from "../../host/datasets/idx.ts";
import { subset } from "../../host/datasets/dataset.ts";
import { shuffledOrder } from "../../host/datasets/dataset.ts";
import { parseConvSpec, planLayers } from "../../host/module/conv-spec.ts";
import { ReferenceConvNet } from "../../host/reference/convnet.ts";
import type { Variant } from "../../host/reference/options.ts";
import { defaultSchedule } from "../../host/reference/schedule.ts";

const [specText = "1x28x28-c8-p-c16-p-d64-10", epochsText = "1", countText = "60000", variantsText = "float32,float-tc-qbp"] = process.argv.slice(2);
const spec = parseConvSpec(specText);
const epochs = Number(epochsText);
const dir = fashionMnistDir();
const fullTrain = readIdxDir(dir, "train");
const train = subset(fullTrain, shuffledOrder(fullTrain.count, 1, 0).subarray(0, Math.min(Number(countText), fullTrain.count)));
const test = readIdxDir(dir, "test");
const B = 32;
const steps = Math.floor(train.count / B) * epochs;
for (const variant of variantsText.split(",") as Variant[]) {
  const schedule = defaultSchedule(variant, B);
  if (process.env.FANSCALE && variant !== "float32") {
    schedule.layerLrScales = planLayers(spec).filter((p) => p.layer.kind !== "pool")
      .map((p) => (p.layer.kind === "conv" ? 9 * (p.in[0] + p.out[0]) : p.in[0] * p.in[1] * p.in[2] + p.out[0]) / 1040);
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
  console.log(`${variant} ${specText} ${epochs} epoch(s) on ${train.count}: test accuracy ${(100 * det).toFixed(2)} % deterministic, ${(100 * lat).toFixed(2)} % latent, ${secs.toFixed(0)} s training`);
}
