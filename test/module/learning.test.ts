import { fileURLToPath } from "node:url";
import test from "ava";
import { DeviceModel } from "../../host/module/device-model.ts";
import { parseSpec } from "../../host/module/spec.ts";
import { mnistDigits } from "../../host/datasets/mnist-package.ts";
import { epochBatches } from "../../host/training/batches.ts";
import { parseModelSpec } from "../../host/module/conv-spec.ts";

const FLOAT32_MODULE = fileURLToPath(new URL("../../build/fewmul-float32.wasm", import.meta.url));

/** The integer module's test accuracy on the MNIST digits after 3 epochs (calibrated first if asked). */
function digitsAccuracy(specText: string, calibrate: boolean): number {
  const { train, test: held } = mnistDigits();
  const spec = parseSpec(specText);
  const model = new DeviceModel();
  model.init(spec, 1);
  for (let epoch = 0; epoch < 3; epoch++) {
    for (const b of epochBatches(train, spec.batch, 7, epoch)) model.train(b.images, b.labels);
  }
  if (calibrate) model.calibrate(train.images, train.labels, 8192);
  return model.accuracy(held.images, held.labels, held.count);
}

test("integer BC+QBP learns the MNIST digits to at least 90 % test accuracy in 3 epochs", (t) => {
  const accuracy = digitsAccuracy("784-256-10:bc,qbp=1,batch=32,lr=0,lrend=4,decay=750", false);
  t.log(`test accuracy ${(100 * accuracy).toFixed(2)} %`);
  t.true(accuracy >= 0.9);
});

test("integer TC with fixed=1 (deterministic weights in training) learns the MNIST digits to at least 90 % in 3 epochs", (t) => {
  const accuracy = digitsAccuracy("784-256-10:tc,batch=32,fixed=1,decay=750", true);
  t.log(`test accuracy ${(100 * accuracy).toFixed(2)} % (calibrated)`);
  t.true(accuracy >= 0.9);
});

// The float32 module is the denominator of the speed ratios in bench:cost and bench:mcu: a
// ratio against a module that does not learn would mean nothing.
test("the float32 comparison module learns the MNIST digits to at least 90 % in 2 epochs", (t) => {
  const { train, test: held } = mnistDigits();
  const steps = 2 * Math.floor(train.count / 32);
  const spec = parseSpec(`784-128-10,batch=32,lr=3,lrend=8,decay=${steps}`); // bench/cost.ts's FLOAT_SPEC
  const model = new DeviceModel({ path: FLOAT32_MODULE });
  model.init(spec, 1);
  const before = model.accuracy(held.images, held.labels, held.count);
  for (let epoch = 0; epoch < 2; epoch++) {
    for (const b of epochBatches(train, spec.batch, 7, epoch)) model.train(b.images, b.labels);
  }
  const accuracy = model.accuracy(held.images, held.labels, held.count);
  t.log(`test accuracy ${(100 * before).toFixed(2)} % before, ${(100 * accuracy).toFixed(2)} % after ${model.step} steps`);
  t.is(model.step, steps);
  t.true(before < 0.3 && accuracy >= 0.9);
});

/** The float32 module's test accuracy before and after one epoch of a small conv net on the MNIST
 * digits; `ternaryLayers` (a mask) set first, if given. */
function float32ConvAccuracy(ternaryLayers = 0): { before: number; after: number; steps: number } {
  const { train, test: held } = mnistDigits();
  const spec = parseModelSpec(`1x28x28-c4-p-c8-p-d16-10,batch=8,lr=3,lrend=8,decay=${Math.floor(train.count / 8)}`);
  const model = new DeviceModel({ path: FLOAT32_MODULE });
  model.mod.exports.set_ternary_layers(ternaryLayers);
  model.init(spec, 1);
  const before = model.accuracy(held.images, held.labels, held.count);
  for (const b of epochBatches(train, spec.batch, 7, 0)) model.train(b.images, b.labels);
  return { before, after: model.accuracy(held.images, held.labels, held.count), steps: model.step };
}

// bench:cost and bench:mcu compare conv nets against the float32 module's conv path too.
test("the float32 comparison module learns a conv net on the MNIST digits to at least 85 % in 1 epoch", (t) => {
  const { before, after, steps } = float32ConvAccuracy();
  t.log(`test accuracy ${(100 * before).toFixed(2)} % before, ${(100 * after).toFixed(2)} % after ${steps} steps`);
  t.true(before < 0.3 && after >= 0.85);
});

// bench/experiments/device-conv.ts (TERNARY=mask) measures the method's ternary weights apart from
// the integer arithmetic with this switch: it must act on the chosen layers only, and learn.
test("the float32 module's ternary switch gives the chosen layers a propagated copy, and the net still learns", (t) => {
  const spec = parseModelSpec("1x28x28-c4-p-c8-p-d16-10,batch=8");
  const plain = new DeviceModel({ path: FLOAT32_MODULE });
  const model = new DeviceModel({ path: FLOAT32_MODULE });
  model.mod.exports.set_ternary_layers(0b1011); // the two conv layers and the output layer, not d16
  t.is(model.requiredBytes(spec) - plain.requiredBytes(spec), 4 * (9 * 1 * 4 + 9 * 4 * 8 + 16 * 10));
  const { after, steps } = float32ConvAccuracy(0b1111);
  t.log(`every layer ternary: test accuracy ${(100 * after).toFixed(2)} % after ${steps} steps`);
  t.true(after >= 0.8);
});
