/**
 * Experiment (not a test): the integer device module trains an MLP on the MNIST digits
 * (8,000 / 2,000) or Fashion-MNIST (60,000 / 10,000) as bench:accuracy does (same split,
 * shuffle and seed), printing the test error after chosen epochs and calibrated at the end.
 *   node --import tsx bench/experiments/device-mlp.ts mnist|fashion SPEC EPOCHS [every] [trainCount]
 * SPEC without decay= gets decay = the run's steps (as fewmul train and the bench).
 */
import { DeviceModel } from "../../host/module/device-model.ts";
import { parseSpec } from "../../host/module/spec.ts";
import { mnistDigits } from "../../host/datasets/mnist-package.ts";
import { readIdxDir, fashionMnistDir } from "../../host/datasets/idx.ts";
import { subset } from "../../host/datasets/dataset.ts";
import { epochBatches } from "../../host/training/batches.ts";

const [name, specText, epochsText, everyText = "0", countText] = process.argv.slice(2);
if (!name || !specText || !epochsText) throw new Error("usage: device-mlp.ts mnist|fashion SPEC EPOCHS [every] [trainCount]");
const epochs = Number(epochsText), every = Number(everyText);
let { train, test } = name === "mnist" ? mnistDigits() : { train: readIdxDir(fashionMnistDir(), "train"), test: readIdxDir(fashionMnistDir(), "test") };
if (countText) train = subset(train, Array.from({ length: Number(countText) }, (_, i) => i));
const probe = parseSpec(specText);
const steps = Math.floor(train.count / probe.batch) * epochs;
const spec = /decay=/.test(specText) ? probe : parseSpec(`${specText},decay=${steps}`);
const m = new DeviceModel({ ramBytes: 64 << 20 });
const bytes = m.requiredBytes(spec);
m.init(spec, 1);
const err = () => (100 - 100 * m.accuracy(test.images, test.labels, test.count)).toFixed(2);
const t0 = performance.now();
for (let e = 0; e < epochs; e++) {
  for (const b of epochBatches(train, spec.batch, 7, e)) m.train(b.images, b.labels);
  if (every && (e + 1) % every === 0 && e + 1 < epochs) console.log(`  epoch ${e + 1}: ${err()} %  [${((performance.now() - t0) / 1000).toFixed(0)} s]`);
}
const det = err();
m.calibrate(train.images, train.labels, Math.min(train.count, 8192));
console.log(`${name} ${specText} ${epochs} ep (${steps} steps, ${bytes} B): test error ${det} % (${err()} calibrated)  [${((performance.now() - t0) / 1000).toFixed(0)} s]`);
