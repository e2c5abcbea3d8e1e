// The model spec `fewmul train` builds from --model, --batch and the dataset: the learning-rate
// decay spans the run at the batch size the spec ends up with.
import test from "ava";
import { modelFor } from "../../host/cli/common.ts";
import type { Dataset } from "../../host/datasets/dataset.ts";

const digits = { name: "mnist", count: 8000, features: 784, classes: 10, images: new Uint8Array(0), labels: new Uint8Array(0) } as unknown as Dataset;
const steps = (epochs: number) => (batch: number) => Math.floor(digits.count / batch) * epochs;

test("the decay follows the batch size given in the spec (batch=64: 125 steps per epoch, not 250)", (t) => {
  const spec = modelFor("784-32-10,batch=64", digits, undefined, steps(1));
  t.is(spec.batch, 64);
  t.is(spec.decaySteps, 125);
});

test("the decay follows --batch, the default batch and the epochs; an explicit decay is kept", (t) => {
  t.is(modelFor("784-32-10,batch=64", digits, 16, steps(1)).decaySteps, 500);
  t.is(modelFor("784-32-10", digits, undefined, steps(3)).decaySteps, 750);
  t.is(modelFor(undefined, digits, 128, steps(2)).decaySteps, 124);
  t.is(modelFor("784-32-10,batch=64,decay=77", digits, undefined, steps(1)).decaySteps, 77);
});

test("batch 1 starts at rate 2^-2 (TC) or 2^-1 (BC) unless the spec gives lr, BC ending at 2^-3; other batches 2^0 to 2^-4 (docs/model-format.md)", (t) => {
  t.is(modelFor("784-32-10,batch=1", digits, undefined, steps(1)).lrStart, 2);
  t.is(modelFor("784-32-10:bc,batch=1", digits, undefined, steps(1)).lrStart, 1);
  t.is(modelFor("784-32-10", digits, 1, steps(1)).lrStart, 2);
  t.is(modelFor(undefined, digits, 1, steps(1)).lrStart, 2);
  t.is(modelFor("784-32-10:bc", digits, 1, steps(1)).lrStart, 1);
  t.is(modelFor("784-32-10,batch=2", digits, undefined, steps(1)).lrStart, 0);
  t.is(modelFor("784-32-10,batch=1", digits, 2, steps(1)).lrStart, 0);
  t.is(modelFor("784-32-10,batch=1,lr=0", digits, undefined, steps(1)).lrStart, 0);
  t.is(modelFor("784-32-10,lr=3", digits, 1, steps(1)).lrStart, 3);
  t.is(modelFor("784-32-10,batch=1", digits, undefined, steps(1)).lrEnd, 4);
  t.is(modelFor("784-32-10:bc,batch=1", digits, undefined, steps(1)).lrEnd, 3);
  t.is(modelFor("784-32-10:bc", digits, 2, steps(1)).lrEnd, 4);
});

test("the end rate follows the run's samples (decay · batch) unless the spec gives lrend", (t) => {
  const fashion = { ...digits, count: 60000 } as Dataset;
  const fashionSteps = (epochs: number) => (batch: number) => Math.floor(fashion.count / batch) * epochs;
  t.is(modelFor(undefined, fashion, undefined, fashionSteps(30)).lrEnd, 8); // 1.8 M samples
  t.is(modelFor("784-256-10", fashion, 8, fashionSteps(30)).lrEnd, 8);
  t.is(modelFor("784-256-10,lrend=5", fashion, undefined, fashionSteps(30)).lrEnd, 5);
  t.is(modelFor("784-256-10,decay=100", fashion, undefined, fashionSteps(30)).lrEnd, 4);
  t.is(modelFor(undefined, digits, undefined, steps(10)).lrEnd, 4); // 80,000 samples
  t.is(modelFor(undefined, digits, undefined, steps(20)).lrEnd, 5);
});
