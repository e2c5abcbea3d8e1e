/**
 * Conv nets in the release module's training step (assembly/model.ts): they learn, they
 * evaluate partial batches, and their state blob round-trips, like the dense nets.
 */
import test from "ava";
import { DeviceModel } from "../../host/module/device-model.ts";
import { parseModelSpec } from "../../host/module/conv-spec.ts";
import { Gen, quadrants } from "../kernels/gen.ts";

function trained(text: string, epochs: number) {
  const gen = new Gen(21);
  const train = quadrants(gen, 1024), held = quadrants(gen, 256);
  const spec = parseModelSpec(text);
  const model = new DeviceModel();
  model.init(spec, 3);
  const before = model.accuracy(held.images, held.labels, 256);
  for (let e = 0; e < epochs; e++) {
    for (let at = 0; at + spec.batch <= 1024; at += spec.batch) {
      model.train(train.images.subarray(at * 64, (at + spec.batch) * 64), train.labels.subarray(at, at + spec.batch));
    }
  }
  return { model, held, before, after: model.accuracy(held.images, held.labels, 256) };
}

test("a conv net (1x8x8-c4-p-4:tc) learns the translation task on the device module", (t) => {
  const { before, after, model } = trained("1x8x8-c4-p-4:tc,batch=16,lr=2,lrend=2,decay=0", 4);
  t.log(`held-out accuracy ${(100 * before).toFixed(1)} % before, ${(100 * after).toFixed(1)} % after ${model.step} steps`);
  t.is(model.step, 256);
  t.true(after >= 0.9, `${after}`);
});

test("two conv layers and a hidden dense layer learn it too; a partial evaluation batch and a restored state give the same answers", (t) => {
  const { model, held, after } = trained("1x8x8-c4-c8-p-d16-4:tc,batch=8,lr=2,lrend=4,decay=512", 4);
  t.log(`held-out accuracy ${(100 * after).toFixed(1)} %`);
  t.true(after >= 0.9, `${after}`);
  // 256 = 32 batches of 8; 5 at a time ends on a partial batch of 1: the same correct count.
  let correct = 0;
  for (let at = 0; at < 256; at += 5) correct += model.evaluate(held.images.subarray(at * 64), held.labels.subarray(at), Math.min(5, 256 - at));
  t.is(correct / 256, after);
  const blob = model.saveState();
  const copy = new DeviceModel();
  copy.loadState(blob);
  t.is(copy.digest(), model.digest());
  t.is(copy.accuracy(held.images, held.labels, 256), after);
});
