import { join } from "node:path";
import test from "ava";
import { type DatasetKind, loadDataset } from "../../host/datasets/index.ts";
import { mnistDigits } from "../../host/datasets/mnist-package.ts";
import { fixturesDir, idx, MatWriter, noise, tempDir, throwsDatasetError, write } from "./helpers.ts";

/** A dir with MNIST-format files: 3 train and 2 test images of 2x2. */
function idxDir(t: Parameters<typeof tempDir>[0]): string {
  const dir = tempDir(t);
  write(dir, "train-images-idx3-ubyte", idx([3, 2, 2], noise(12, 1)));
  write(dir, "train-labels-idx1-ubyte", idx([3], Uint8Array.of(1, 2, 3)));
  write(dir, "t10k-images-idx3-ubyte", idx([2, 2, 2], noise(8, 2)));
  write(dir, "t10k-labels-idx1-ubyte", idx([2], Uint8Array.of(4, 5)));
  return dir;
}

test("loadDataset mnist returns the package's seeded split", (t) => {
  const ds = loadDataset("mnist", { split: "test" });
  t.is(ds.count, 2000);
  t.deepEqual(ds.labels, mnistDigits().test.labels);
  t.is(loadDataset("mnist", { split: "train" }).count, 8000);
});

test("loadDataset idx and fashion read the split from the --data directory", (t) => {
  const dir = idxDir(t);
  t.deepEqual([...loadDataset("idx", { data: dir, split: "train" }).labels], [1, 2, 3]);
  t.deepEqual([...loadDataset("fashion", { data: dir, split: "test" }).labels], [4, 5]);
});

test("loadDataset svhn picks <split>_32x32.mat in a directory, or reads the one file given", (t) => {
  const dir = tempDir(t);
  const w = new MatWriter();
  write(dir, "train_32x32.mat", w.svhn([noise(3072, 1), noise(3072, 2)], [1, 2]));
  write(dir, "test_32x32.mat", w.svhn([noise(3072, 3)], [10]));
  t.deepEqual([...loadDataset("svhn", { data: dir, split: "train" }).labels], [1, 2]);
  t.deepEqual([...loadDataset("svhn", { data: dir, split: "test" }).labels], [0]);
  const one = loadDataset("svhn", { data: join(fixturesDir, "svhn-16-plain_32x32.mat"), split: "train" });
  t.is(one.count, 16);
});

test("loadDataset explains what --data should be when it is missing or wrong", (t) => {
  throwsDatasetError(t, () => loadDataset("svhn", { split: "train" }), "dataset 'svhn' needs --data", "train_32x32.mat");
  throwsDatasetError(t, () => loadDataset("idx", { split: "train" }), "dataset 'idx' needs --data");
  const dir = tempDir(t);
  throwsDatasetError(t, () => loadDataset("svhn", { data: dir, split: "test" }), join(dir, "test_32x32.mat"), "file not found");
  throwsDatasetError(t, () => loadDataset("cifar" as DatasetKind, { split: "test" }), "unknown dataset 'cifar'", "mnist, fashion, svhn, cifar10, idx");
});
