import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import test from "ava";
import { fashionMnistDir, readIdxDir, readIdxPair } from "../../host/datasets/idx.ts";
import { UserError } from "../../host/errors.ts";
import { idx, noise, tempDir, throwsDatasetError, write } from "./helpers.ts";

// 3 images of 4 rows x 5 columns.
const pixels = noise(3 * 4 * 5, 42);
const labelBytes = Uint8Array.from([7, 0, 9]);
const imagesFile = idx([3, 4, 5], pixels);
const labelsFile = idx([3], labelBytes);

test("readIdxPair reads plain IDX images and labels back exactly", (t) => {
  const dir = tempDir(t);
  const ds = readIdxPair(write(dir, "imgs", imagesFile), write(dir, "labs", labelsFile));
  t.is(ds.count, 3);
  t.is(ds.height, 4);
  t.is(ds.width, 5);
  t.is(ds.channels, 1);
  t.deepEqual(ds.shape, [1, 4, 5]);
  t.is(ds.features, 20);
  t.is(ds.classes, 10);
  t.deepEqual([...ds.images], [...pixels]);
  t.deepEqual([...ds.labels], [7, 0, 9]);
});

test("readIdxPair detects gzip by its magic bytes, whatever the file is called", (t) => {
  const dir = tempDir(t);
  const ds = readIdxPair(write(dir, "imgs.raw", gzipSync(imagesFile)), write(dir, "labs.gz", labelsFile));
  t.deepEqual([...ds.images], [...pixels]);
  t.deepEqual([...ds.labels], [7, 0, 9]);
});

test("readIdxDir finds the standard train and t10k names, plain or .gz", (t) => {
  const dir = tempDir(t);
  write(dir, "train-images-idx3-ubyte.gz", gzipSync(imagesFile));
  write(dir, "train-labels-idx1-ubyte", labelsFile);
  write(dir, "t10k-images.idx3-ubyte", idx([1, 4, 5], pixels.subarray(0, 20)));
  write(dir, "t10k-labels.idx1-ubyte.gz", gzipSync(idx([1], Uint8Array.of(4))));
  const train = readIdxDir(dir, "train");
  t.is(train.count, 3);
  t.deepEqual([...train.labels], [7, 0, 9]);
  const held = readIdxDir(dir, "test");
  t.is(held.count, 1);
  t.deepEqual([...held.labels], [4]);
  t.regex(held.name, /\/test$/);
});

test("readIdxDir names the missing file or directory", (t) => {
  const dir = tempDir(t);
  write(dir, "train-images-idx3-ubyte", imagesFile);
  throwsDatasetError(t, () => readIdxDir(dir, "train"), dir, "no train-labels-idx1-ubyte[.gz]");
  throwsDatasetError(t, () => readIdxDir(dir, "test"), "no t10k-images-idx3-ubyte[.gz]");
  throwsDatasetError(t, () => readIdxDir(join(dir, "nope"), "train"), "nope", "directory not found");
});

/** Write `images` / `labels` bytes and expect readIdxPair to fail naming `blame` and `reason`. */
function rejects(name: string, images: Uint8Array, labels: Uint8Array, blame: "images" | "labels", ...reason: string[]) {
  test(name, (t) => {
    const dir = tempDir(t);
    const i = write(dir, "train-images-idx3-ubyte.gz", images);
    const l = write(dir, "train-labels-idx1-ubyte", labels);
    throwsDatasetError(t, () => readIdxPair(i, l), blame === "images" ? i : l, ...reason);
  });
}

rejects("an empty file is truncated", new Uint8Array(), labelsFile, "images", "truncated: 0 bytes");
test("a missing file is reported as not found", (t) => {
  const dir = tempDir(t);
  const l = join(dir, "absent-labels");
  throwsDatasetError(t, () => readIdxPair(write(dir, "i", imagesFile), l), l, "file not found");
});
rejects("a file that is not IDX has a bad magic", Buffer.from("PK\x03\x04 not idx at all"), labelsFile, "images", "bad magic 0x504b0304");
rejects("a float IDX file has the wrong dtype", idx([3, 4, 5], pixels, 0x0d), labelsFile, "images", "wrong dtype 0x0d (float)", "expected 0x08");
rejects("a labels file given as images is refused by its magic", labelsFile, labelsFile, "images", "bad magic 0x00000801", "expected 0x00000803");
rejects("a header cut short is truncated", imagesFile.subarray(0, 9), labelsFile, "images", "truncated: header needs 16 bytes but the file has 9");
rejects(
  "an images file with too few pixels is truncated, in the header's terms",
  gzipSync(idx([60000, 28, 28], new Uint8Array(1000))), labelsFile, "images",
  "train-images-idx3-ubyte.gz: truncated: header says 60000 images of 28x28 (47040000 bytes) but 1000 remain",
);
rejects("a labels file with too few labels is truncated", imagesFile, idx([3], Uint8Array.of(1)), "labels", "truncated: header says 3 labels (3 bytes) but 1 remain");
rejects("bytes past the announced data are refused", imagesFile, Buffer.concat([labelsFile, Buffer.of(0)]), "labels", "1 unexpected bytes after the 3 labels");
rejects("labels and images must have the same count", imagesFile, idx([2], Uint8Array.of(1, 2)), "labels", "has 2 labels but train-images-idx3-ubyte.gz has 3 images");
rejects("a label above 9 is out of range", imagesFile, idx([3], Uint8Array.of(1, 12, 3)), "labels", "label 12 at index 1 is out of range 0..9");
rejects("corrupt gzip is reported as such", Buffer.concat([Buffer.of(0x1f, 0x8b), noise(40, 3)]), labelsFile, "images", "corrupt gzip");
rejects("a gzip stream cut short is corrupt gzip", gzipSync(imagesFile).subarray(0, 30), labelsFile, "images", "corrupt gzip");

test("fashionMnistDir tells how to install Fashion-MNIST when the directory is missing", (t) => {
  const err = t.throws(() => fashionMnistDir("/nonexistent/fashion-mnist"), { instanceOf: UserError });
  t.is(err?.code, "E_DATASET");
  t.regex(err?.message ?? "", /apt-get install dataset-fashion-mnist.*--data DIR/);
});

test("readIdxPair refuses a directory given as a file", (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, "sub"));
  throwsDatasetError(t, () => readIdxPair(join(dir, "sub"), write(dir, "l", labelsFile)), "sub", "is a directory, not a file");
});
