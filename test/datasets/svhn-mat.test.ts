import { join } from "node:path";
import test from "ava";
import type { Dataset } from "../../host/datasets/dataset.ts";
import { readSvhnMat } from "../../host/datasets/svhn-mat.ts";
import { fixturesDir, MatWriter, mi, mx, noise, tempDir, throwsDatasetError, write } from "./helpers.ts";

const plain = () => readSvhnMat(join(fixturesDir, "svhn-16-plain_32x32.mat"));
const compressed = () => readSvhnMat(join(fixturesDir, "svhn-64-compressed_32x32.mat"));
const px = (ds: Dataset, n: number, r: number, c: number, ch: number) => ds.images[n * 3072 + (r * 32 + c) * 3 + ch];

test("the SciPy fixtures load as 32x32x3 datasets of 16 and 64 samples with labels 0..9", (t) => {
  for (const [ds, n] of [[plain(), 16], [compressed(), 64]] as const) {
    t.like(ds, { count: n, features: 3072, width: 32, height: 32, channels: 3, classes: 10 });
    t.deepEqual(ds.shape, [3, 32, 32]);
    t.is(ds.images.length, n * 3072);
    t.true(ds.labels.every((l) => l <= 9));
  }
  t.is(compressed().labels.filter((l) => l === 0).length > 0, true, "some y = 10 became 0");
});

test("the plain fixture decodes to the values read off its bytes by hand", (t) => {
  // y starts at byte 0xc0f8 as doubles 10, 6, 4, 7, ... (0x4024..., 0x4018..., 0x4010...).
  t.deepEqual([...plain().labels], [0, 6, 4, 7, 3, 7, 8, 9, 7, 8, 4, 1, 5, 9, 3, 7]);
  // X's data starts at byte 0xc0; byte 0xc0 + k is X(k) in column-major 32x32x3x16, so
  // +0 = X(1,1,1,1) = 0x34, +1 = X(2,1,1,1) = 0x01, +34 = X(3,2,1,1) = 0x22,
  // +1024 = X(1,1,2,1) = 0x0f, +3072 = X(1,1,1,2) = 0x3c (1-based MATLAB indices).
  const ds = plain();
  t.is(px(ds, 0, 0, 0, 0), 0x34);
  t.is(px(ds, 0, 1, 0, 0), 0x01);
  t.is(px(ds, 0, 2, 1, 0), 0x22);
  t.is(px(ds, 0, 0, 0, 1), 0x0f);
  t.is(px(ds, 1, 0, 0, 0), 0x3c);
});

test("both fixtures draw each label's bar in the same place, 10 rows by 5 columns", (t) => {
  // The two files share no samples, so compare the rule both follow instead: a bright
  // (>= 150) block at rows 6+2*(label%5) .. +9 and columns 6 (labels 0-4) or 16 (5-9) .. +4,
  // dark (< 150) elsewhere, in all three channels. A transposed decode would give 5x10.
  for (const ds of [plain(), compressed()]) {
    for (let n = 0; n < ds.count; n++) {
      const l = ds.labels[n];
      const r0 = 6 + 2 * (l % 5);
      const c0 = l < 5 ? 6 : 16;
      let wrong = 0;
      for (let r = 0; r < 32; r++)
        for (let c = 0; c < 32; c++)
          for (let ch = 0; ch < 3; ch++) {
            const inBar = r >= r0 && r < r0 + 10 && c >= c0 && c < c0 + 5;
            if (inBar !== px(ds, n, r, c, ch) >= 150) wrong++;
          }
      t.is(wrong, 0, `${ds.name} sample ${n} (label ${l})`);
    }
  }
});

test("readSvhnMat round-trips HWC images through column-major X, any endianness, compressed or not", (t) => {
  const dir = tempDir(t);
  const imgs = [noise(3072, 1), noise(3072, 2), noise(3072, 3)];
  for (const le of [true, false]) {
    const w = new MatWriter(le);
    for (const bytes of [w.svhn(imgs, [10, 1, 9]), w.svhn(imgs, [10, 1, 9], true)]) {
      const ds = readSvhnMat(write(dir, "test_32x32.mat", bytes));
      t.deepEqual([...ds.labels], [0, 1, 9]);
      t.deepEqual(ds.shape, [3, 32, 32]);
      t.deepEqual(ds.images, Uint8Array.from(Buffer.concat(imgs)));
    }
  }
});

test("readSvhnMat reads a single image saved without its trailing singleton dimension", (t) => {
  const w = new MatWriter();
  const X = noise(3072, 5);
  const bytes = w.file(
    w.matrix("X", mx.uint8, [32, 32, 3], mi.uint8, X),
    w.matrix("y", mx.double, [1, 1], mi.double, w.doubles([4])),
  );
  const ds = readSvhnMat(write(tempDir(t), "one.mat", bytes));
  t.is(ds.count, 1);
  t.is(ds.images[(1 * 32 + 2) * 3 + 1], X[1 + 32 * (2 + 32 * 1)]);
});

/** A malformed SVHN file must fail naming the file and `reason`. */
function rejects(title: string, build: (w: MatWriter) => Uint8Array, ...reason: string[]) {
  test(title, (t) => {
    const file = write(tempDir(t), "train_32x32.mat", build(new MatWriter()));
    throwsDatasetError(t, () => readSvhnMat(file), file, ...reason);
  });
}

const X2 = (w: MatWriter) => w.matrix("X", mx.uint8, [32, 32, 3, 2], mi.uint8, noise(6144, 9));
const y = (w: MatWriter, v: number[]) => w.matrix("y", mx.double, [v.length, 1], mi.double, w.doubles(v));

rejects("a truncated SVHN file is refused", (w) => w.svhn([noise(3072, 1)], [3]).subarray(0, 2000), "truncated: element at byte 128");
rejects("a file without the MAT header is refused", () => Buffer.from("this is not a MAT-file".repeat(10)), "bad header");
rejects("X of class double is refused", (w) => w.file(w.matrix("X", mx.double, [1, 1, 1, 1], mi.double, w.doubles([1])), y(w, [1])), "X is double 1x1x1x1, expected uint8 32x32x3xN");
rejects("X with two dimensions is refused", (w) => w.file(w.matrix("X", mx.uint8, [32, 96], mi.uint8, noise(3072, 1)), y(w, [1])), "X is uint8 32x96");
rejects("X as a cell array is refused as unsupported", (w) => w.file(w.matrix("X", mx.cell, [1, 1], mi.uint8, Uint8Array.of(0)), y(w, [1])), "variable 'X' is a cell array");
rejects("a file without X is refused", (w) => w.file(y(w, [1, 2])), "no variable 'X'");
rejects("a file without y is refused", (w) => w.file(X2(w)), "no variable 'y'");
rejects("a label of 11 is out of range", (w) => w.file(X2(w), y(w, [1, 11])), "y[1] = 11 is outside the labels 1..10");
rejects("a label of 0 is out of range (SVHN counts 1..10)", (w) => w.file(X2(w), y(w, [0, 1])), "y[0] = 0 is outside");
rejects("a fractional label is refused", (w) => w.file(X2(w), y(w, [2.5, 1])), "y[0] = 2.5 is outside");
rejects("y and X must have the same count", (w) => w.file(X2(w), y(w, [1, 2, 3])), "y has 3 labels but X has 2 images");

test("a missing SVHN file is reported as not found", (t) => {
  const file = join(tempDir(t), "test_32x32.mat");
  throwsDatasetError(t, () => readSvhnMat(file), file, "file not found");
});
