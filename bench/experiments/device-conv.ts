/**
 * Experiment (not a test): the integer device module trains a CNN on Fashion-MNIST (the
 * counterpart of reference-conv.ts), test accuracy after every epoch and calibrated at the end,
 * then per weight layer the share of latent weights clipped at ±1 and beyond ±1/2 (uniform
 * initial weights: 50 %).
 *   node --import tsx bench/experiments/device-conv.ts SPEC [epochs] [trainCount] [testCount]
 * e.g. "1x28x28-c8-p-c16-p-d64-10:tc,batch=8,decay=2000,lr=2,lrend=4" 2 8000 2000 (decay in
 * steps: trainCount / batch · epochs for a schedule over the whole run). 1 MiB of linear memory.
 * SEED=n: the model's initialisation seed (default 1; the data order stays).
 * STATE=prefix: the state blob after every epoch to prefix-eN.bin (before calibration), and
 * the calibrated one to prefix-cal.bin, for later experiments on a trained net.
 * FLOAT32=1: the float32 module instead (build/fewmul-float32.wasm, the same data, order and
 * seed; no memory limit, no calibration: it has none), the architecture's ceiling without the
 * method's quantisation. With FLOAT32=1, TERNARY=mask: the layers of mask's bits (bit 0 the
 * first) propagate ternary weights instead (assembly/float32/model.ts, "ternaryLayers"): the
 * method's weights without its integer arithmetic. At the end (the integer module: after
 * calibration) also the accuracy on up to 10,000 training images: underfitting or overfitting.
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { readIdxDir, fashionMnistDir } from "../../host/datasets/idx.ts";
import { subset, shuffledOrder } from "../../host/datasets/dataset.ts";
import { DeviceModel } from "../../host/module/device-model.ts";
import { parseConvSpec, parseModelSpec, planLayers } from "../../host/module/conv-spec.ts";

const [specText, epochsText = "1", countText = "8000", testText = "10000"] = process.argv.slice(2);
if (!specText) throw new Error("usage: device-conv.ts SPEC [epochs] [trainCount] [testCount]");
const spec = parseModelSpec(specText);
const epochs = Number(epochsText);
const dir = fashionMnistDir();
const full = readIdxDir(dir, "train");
const train = subset(full, shuffledOrder(full.count, 1, 0).subarray(0, Math.min(Number(countText), full.count)));
const testAll = readIdxDir(dir, "test");
const test = subset(testAll, Array.from({ length: Math.min(Number(testText), testAll.count) }, (_, i) => i));
const float32 = process.env.FLOAT32 === "1";
const m = new DeviceModel(float32 ? { ramBytes: 64 << 20, path: fileURLToPath(new URL("../../build/fewmul-float32.wasm", import.meta.url)) }
  : { ramBytes: 1 << 20, path: process.env.WASM }); // WASM: another build of the module
if (process.env.TERNARY) m.mod.exports.set_ternary_layers(Number(process.env.TERNARY));
m.init(spec, Number(process.env.SEED ?? 1));
const B = spec.batch, F = train.features;
const images = new Uint8Array(B * F), labels = new Uint8Array(B);
const t0 = performance.now();
for (let e = 0; e < epochs; e++) {
  const order = shuffledOrder(train.count, 1, e + 1);
  let correct = 0, seen = 0;
  for (let s = 0; s + B <= train.count; s += B) {
    for (let b = 0; b < B; b++) {
      const i = order[s + b];
      images.set(train.images.subarray(i * F, (i + 1) * F), b * F);
      labels[b] = train.labels[i];
    }
    correct += m.train(images, labels).correct;
    seen += B;
  }
  if (process.env.STATE) writeFileSync(`${process.env.STATE}-e${e + 1}.bin`, m.saveState());
  const acc = m.accuracy(test.images, test.labels, test.count);
  console.log(`epoch ${e + 1}: ${float32 ? "the net" : "training net (sampled weights unless fixed=1)"} on its batches ${((100 * correct) / seen).toFixed(1)} %, test ${(100 * acc).toFixed(2)} %, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}
function fit(): void {
  const n = Math.min(train.count, 10000);
  console.log(`on ${n} of its training images: ${(100 * m.accuracy(train.images, train.labels, n)).toFixed(2)} %`);
}
if (float32) { fit(); process.exit(0); }
m.calibrate(train.images, train.labels, Math.min(train.count, 8192));
if (process.env.STATE) writeFileSync(`${process.env.STATE}-cal.bin`, m.saveState());
console.log(`${specText}, ${epochs} epoch(s) on ${train.count}: test ${(100 * m.accuracy(test.images, test.labels, test.count)).toFixed(2)} % calibrated (${test.count} test samples)`);
fit();

// Latent weights per layer, from the state blob (docs/model-format.md, "State blob").
const blob = m.saveState();
const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
let off = 96;
for (const l of planLayers(parseConvSpec(specText.split(/[:,]/)[0]))) {
  if (l.layer.kind === "pool") continue;
  const nIn = l.layer.kind === "conv" ? 9 * l.in[0] : l.in[0] * l.in[1] * l.in[2];
  const nOut = l.out[0], n = nIn * nOut;
  let clipped = 0, big = 0;
  for (let i = 0; i < n; i++) {
    const w = Math.abs(view.getInt16(off + 2 * i, true));
    if (w >= 1 << 14) clipped++;
    if (w > 1 << 13) big++;
  }
  console.log(`${l.label} (${nIn}x${nOut}): ${((100 * clipped) / n).toFixed(1)} % clipped, ${((100 * big) / n).toFixed(1)} % beyond 1/2`);
  off += ((2 * n + 3) & ~3) + 12 * nOut + (spec.batch < 8 ? 8 * nOut + 4 : 0);
}
