import { join } from "node:path";
import { mkdirSync } from "node:fs";
import test from "ava";
import { CIFAR10_TRAIN_FILES, readCifar10Dir, readCifar10Files } from "../../host/datasets/cifar10.ts";
import { loadDataset } from "../../host/datasets/index.ts";
import { tempDir, throwsDatasetError, write } from "./helpers.ts";

/**
 * CIFAR-10 binary records written from their definition: label byte, then the R, G and B
 * planes, each row-major 32x32. Pixel (r, c) of plane ch holds pixel(n, ch, r, c).
 */
const pixel = (n: number, ch: number, r: number, c: number) => (n * 71 + ch * 89 + r * 7 + c * 3) & 0xff;
function records(labels: number[], first = 0): Uint8Array {
  const out = new Uint8Array(labels.length * 3073);
  labels.forEach((label, k) => {
    const n = first + k;
    const rec = out.subarray(k * 3073, (k + 1) * 3073);
    rec[0] = label;
    for (let ch = 0; ch < 3; ch++) {
      for (let r = 0; r < 32; r++) for (let c = 0; c < 32; c++) rec[1 + ch * 1024 + r * 32 + c] = pixel(n, ch, r, c);
    }
  });
  return out;
}

/** A directory with the six files: batch k holds samples 2k .. 2k+1, test 1 sample. */
function cifarDir(t: Parameters<typeof tempDir>[0], dir = tempDir(t)): string {
  CIFAR10_TRAIN_FILES.forEach((f, k) => write(dir, f, records([(2 * k) % 10, (2 * k + 1) % 10], 2 * k)));
  write(dir, "test_batch.bin", records([9], 100));
  return dir;
}

test("train concatenates data_batch_1..5 in order, shape 3x32x32, pixels channels-last (HWC)", (t) => {
  const ds = readCifar10Dir(cifarDir(t), "train");
  t.like(ds, { count: 10, features: 3072, width: 32, height: 32, channels: 3, classes: 10, name: "cifar10/train" });
  t.deepEqual(ds.shape, [3, 32, 32]);
  t.deepEqual([...ds.labels], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  for (const [n, r, c, ch] of [[0, 0, 0, 0], [0, 0, 0, 1], [0, 0, 0, 2], [3, 5, 17, 1], [9, 31, 31, 2], [6, 31, 0, 0]]) {
    t.is(ds.images[n * 3072 + (r * 32 + c) * 3 + ch], pixel(n, ch, r, c), `sample ${n} (${r}, ${c}) channel ${ch}`);
  }
  // Every byte placed exactly once: the multiset of each sample's pixels is the record's.
  const rec = records([0], 4).subarray(1);
  t.deepEqual([...ds.images.subarray(4 * 3072, 5 * 3072)].sort(), [...rec].sort());
});

test("test reads test_batch.bin; loadDataset cifar10 reads the split from --data", (t) => {
  const dir = cifarDir(t);
  const ds = loadDataset("cifar10", { data: dir, split: "test" });
  t.is(ds.count, 1);
  t.deepEqual([...ds.labels], [9]);
  t.is(ds.images[(2 * 32 + 3) * 3 + 1], pixel(100, 1, 2, 3));
  t.is(loadDataset("cifar10", { data: dir, split: "train" }).count, 10);
});

test("the directory the tarball extracts to (cifar-10-batches-bin/) is found inside --data", (t) => {
  const top = tempDir(t);
  mkdirSync(join(top, "cifar-10-batches-bin"));
  cifarDir(t, join(top, "cifar-10-batches-bin"));
  t.is(readCifar10Dir(top, "test").count, 1);
});

test("malformed CIFAR-10 files are one-line errors naming the file and the fault", (t) => {
  const dir = tempDir(t);
  const f = write(dir, "short.bin", records([1, 2]).subarray(0, 3073 + 100));
  throwsDatasetError(t, () => readCifar10Files([f], "x"), f, "3173 bytes", "3073-byte records", "100 bytes left over");
  const bad = records([3, 4, 5]);
  bad[2 * 3073] = 10;
  const g = write(dir, "label.bin", bad);
  throwsDatasetError(t, () => readCifar10Files([g], "x"), g, "label 10 of record 2", "0..9");
  const e = write(dir, "empty.bin", new Uint8Array(0));
  throwsDatasetError(t, () => readCifar10Files([e], "x"), e, "empty");
});

test("missing files and directories are named; --data is required", (t) => {
  const dir = cifarDir(t);
  const partial = tempDir(t);
  write(partial, "data_batch_1.bin", records([1]));
  write(partial, "data_batch_3.bin", records([1]));
  throwsDatasetError(t, () => readCifar10Dir(partial, "train"), partial, "missing data_batch_2.bin, data_batch_4.bin, data_batch_5.bin");
  throwsDatasetError(t, () => readCifar10Dir(partial, "test"), "missing test_batch.bin");
  throwsDatasetError(t, () => readCifar10Dir(join(dir, "nope"), "train"), join(dir, "nope"), "directory not found");
  throwsDatasetError(t, () => loadDataset("cifar10", { split: "train" }), "dataset 'cifar10' needs --data", "data_batch_1.bin");
});
