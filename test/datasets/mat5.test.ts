import { readFileSync } from "node:fs";
import { join } from "node:path";
import test from "ava";
import { readMat } from "../../host/datasets/mat5.ts";
import { fixturesDir, MatWriter, mi, mx, throwsDatasetError } from "./helpers.ts";

const F = "vars.mat";

function sample(w: MatWriter): Buffer[] {
  return [
    w.matrix("img", mx.uint8, [2, 3], mi.uint8, Uint8Array.of(1, 2, 3, 4, 5, 6)),
    w.matrix("y", mx.double, [3, 1], mi.double, w.doubles([10, 2.5, -1])),
  ];
}

for (const le of [true, false]) {
  test(`readMat decodes uint8 and double arrays from a ${le ? "little" : "big"}-endian file`, (t) => {
    const w = new MatWriter(le);
    const vars = readMat(w.file(...sample(w)), F);
    t.deepEqual([...vars.keys()], ["img", "y"]);
    const img = vars.get("img")!;
    t.like(img, { class: "uint8", dims: [2, 3] });
    t.true(img.data instanceof Uint8Array);
    t.deepEqual([...img.data], [1, 2, 3, 4, 5, 6]);
    t.deepEqual([...vars.get("y")!.data], [10, 2.5, -1]);
  });
}

test("readMat inflates miCOMPRESSED elements, big-endian too", (t) => {
  for (const le of [true, false]) {
    const w = new MatWriter(le);
    const vars = readMat(w.file(...sample(w).map((e) => w.compressed(e))), F);
    t.deepEqual([...vars.get("img")!.data], [1, 2, 3, 4, 5, 6]);
    t.deepEqual([...vars.get("y")!.data], [10, 2.5, -1]);
  }
});

test("readMat reads small data elements and data stored in a narrower type than its class", (t) => {
  const w = new MatWriter();
  const i16 = Buffer.alloc(4);
  i16.writeInt16LE(-300, 0);
  i16.writeInt16LE(7, 2);
  const vars = readMat(w.file(
    // MATLAB stores integer-valued doubles compactly, e.g. as miUINT8: 3 bytes fit in the tag.
    w.matrix("y", mx.double, [1, 3], mi.uint8, Uint8Array.of(10, 1, 9)),
    w.matrix("s", mx.int16, [2, 1], 3 /* miINT16 */, i16),
  ), F);
  t.like(vars.get("y"), { class: "double", dims: [1, 3] });
  t.true(vars.get("y")!.data instanceof Float64Array);
  t.deepEqual([...vars.get("y")!.data], [10, 1, 9]);
  t.deepEqual([...vars.get("s")!.data], [-300, 7]);
});

test("readMat reads the SciPy-written fixtures", (t) => {
  for (const [file, n] of [["svhn-16-plain_32x32.mat", 16], ["svhn-64-compressed_32x32.mat", 64]] as const) {
    const vars = readMat(readFileSync(join(fixturesDir, file)), file);
    t.like(vars.get("X"), { class: "uint8", dims: [32, 32, 3, n] });
    t.like(vars.get("y"), { class: "double", dims: [n, 1] });
  }
});

test("readMat skips variables it was not asked for, whatever their class", (t) => {
  const w = new MatWriter();
  const bytes = w.file(w.matrix("notes", mx.cell, [1, 1], mi.uint8, Uint8Array.of(0)), ...sample(w));
  t.deepEqual([...readMat(bytes, F, ["y"]).keys()], ["y"]);
  throwsDatasetError(t, () => readMat(bytes, F), F, "variable 'notes' is a cell array: only numeric arrays are supported");
});

test("readMat refuses struct, char, sparse and complex arrays it is asked for", (t) => {
  const w = new MatWriter();
  const one = (cls: number, bits = 0) => w.file(w.matrix("v", cls, [1, 1], mi.double, w.doubles([1]), bits));
  throwsDatasetError(t, () => readMat(one(mx.struct), F), "'v' is a struct array");
  throwsDatasetError(t, () => readMat(one(mx.char), F), "'v' is a char array");
  throwsDatasetError(t, () => readMat(one(5), F), "'v' is a sparse array");
  throwsDatasetError(t, () => readMat(one(mx.double, 0x800), F), "'v' is complex");
});

test("readMat names the file and the reason for malformed files", (t) => {
  const w = new MatWriter();
  const good = w.file(...sample(w));
  throwsDatasetError(t, () => readMat(good.subarray(0, 100), F), F, "truncated: 100 bytes, shorter than the 128-byte MAT-file header");
  const noIndicator = Buffer.from(good);
  noIndicator.write("XX", 126, "latin1");
  throwsDatasetError(t, () => readMat(noIndicator, F), "bad header: not a MATLAB level-5 MAT-file");
  const v73 = Buffer.from(good);
  v73.writeUInt16LE(0x0200, 124);
  throwsDatasetError(t, () => readMat(v73, F), "v7.3 (HDF5)", "not supported");
  throwsDatasetError(t, () => readMat(good.subarray(0, good.length - 10), F), F, "truncated: element at byte");
  throwsDatasetError(t, () => readMat(good.subarray(0, 132), F), "truncated: element tag at byte 128");
  const corrupt = w.compressed(sample(w)[0]);
  corrupt.fill(0xaa, 10, 20);
  throwsDatasetError(t, () => readMat(w.file(corrupt), F), F, "corrupt compressed element at byte 128");
  const short = w.file(w.matrix("img", mx.uint8, [2, 4], mi.uint8, Uint8Array.of(1, 2, 3, 4, 5, 6)));
  throwsDatasetError(t, () => readMat(short, F), "variable 'img': holds 6 values but its dimensions need 8");
});
