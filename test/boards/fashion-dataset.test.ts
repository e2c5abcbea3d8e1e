// Needs Debian's dataset-fashion-mnist (scripts/install-toolchain.sh): fails, never skips.
import test from "ava";
import { fashionMnistDir, readIdxDir } from "../../host/datasets/idx.ts";

test("Debian's Fashion-MNIST splits read as 60,000 and 10,000 28x28 images, balanced classes", (t) => {
  const dir = fashionMnistDir();
  for (const [split, count] of [["train", 60000], ["test", 10000]] as const) {
    const ds = readIdxDir(dir, split);
    t.like(ds, { count, width: 28, height: 28, channels: 1, features: 784, classes: 10 });
    t.deepEqual(ds.shape, [1, 28, 28]);
    const perClass = new Array(10).fill(0);
    for (const l of ds.labels) perClass[l]++;
    t.deepEqual(perClass, new Array(10).fill(count / 10));
    t.is(Math.max(...ds.images.subarray(0, 784 * 100)), 255);
  }
});
