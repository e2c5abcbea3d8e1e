import test from "ava";
import { DeviceModel } from "../../host/module/device-model.ts";
import { parseSpec } from "../../host/module/spec.ts";
import { mnistDigits } from "../../host/datasets/mnist-package.ts";
import { epochBatches } from "../../host/training/batches.ts";

test("integer BC+QBP learns the MNIST digits to at least 90 % test accuracy in 3 epochs", (t) => {
  const { train, test: held } = mnistDigits();
  const spec = parseSpec("784-256-10:bc,qbp=1,batch=32,lr=0,lrend=4,decay=750");
  const model = new DeviceModel();
  model.init(spec, 1);
  for (let epoch = 0; epoch < 3; epoch++) {
    for (const b of epochBatches(train, spec.batch, 7, epoch)) model.train(b.images, b.labels);
  }
  const accuracy = model.accuracy(held.images, held.labels, held.count);
  t.log(`test accuracy ${(100 * accuracy).toFixed(2)} % after ${model.step} steps`);
  t.true(accuracy >= 0.9);
});
