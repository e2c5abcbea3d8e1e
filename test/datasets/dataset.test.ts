import test from "ava";
import { batches, type Dataset, mix32, shuffledOrder, split, splitmix32, subset } from "../../host/datasets/dataset.ts";

/** count samples of 2x1x1 pixels [i, 255-i], label i % 3. */
function tiny(count: number): Dataset {
  const images = new Uint8Array(count * 2);
  for (let i = 0; i < count; i++) images.set([i, 255 - i], 2 * i);
  const labels = Uint8Array.from({ length: count }, (_, i) => i % 3);
  return { name: "tiny", images, labels, count, features: 2, width: 2, height: 1, channels: 1, shape: [1, 1, 2], classes: 3 };
}

test("mix32 is MurmurHash3's fmix32 finalizer", (t) => {
  t.is(mix32(0), 0);
  t.is(mix32(1), 0x514e28b7);
  t.is(splitmix32(0)(), mix32(0x9e3779b9));
});

test("shuffledOrder is a permutation fixed by seed and epoch", (t) => {
  const a = shuffledOrder(1000, 7, 3);
  t.deepEqual([...a].sort((x, y) => x - y), Array.from({ length: 1000 }, (_, i) => i));
  t.deepEqual(shuffledOrder(1000, 7, 3), a);
  t.notDeepEqual(shuffledOrder(1000, 7, 4), a);
  t.notDeepEqual(shuffledOrder(1000, 8, 3), a);
});

test("shuffledOrder gives the same orders as when it was written (reproducible logs)", (t) => {
  t.deepEqual([...shuffledOrder(10, 1, 0)], [0, 9, 3, 7, 6, 2, 5, 4, 8, 1]);
  t.deepEqual([...shuffledOrder(10, 1, 1)], [3, 9, 7, 4, 5, 2, 6, 8, 1, 0]);
  t.deepEqual([...shuffledOrder(10, 2, 0)], [6, 4, 5, 1, 8, 9, 0, 3, 7, 2]);
  t.deepEqual([...shuffledOrder(0, 1, 0)], []);
  t.deepEqual([...shuffledOrder(1, 1, 0)], [0]);
});

test("subset copies the chosen samples with their labels, in the given order", (t) => {
  const ds = tiny(5);
  const s = subset(ds, [4, 1]);
  t.is(s.count, 2);
  t.deepEqual([...s.images], [4, 251, 1, 254]);
  t.deepEqual([...s.labels], [1, 1]);
  s.images[0] = 99;
  t.is(ds.images[8], 4, "the copy does not alias the source");
  t.throws(() => subset(ds, [5]), { instanceOf: RangeError });
});

test("split is seeded, disjoint and covers every sample", (t) => {
  const ds = tiny(50);
  const { train, test: held } = split(ds, 40, 9);
  t.is(train.count, 40);
  t.is(held.count, 10);
  const ids = [...train.images.filter((_, k) => k % 2 === 0), ...held.images.filter((_, k) => k % 2 === 0)];
  t.deepEqual(ids.sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i));
  t.deepEqual(split(ds, 40, 9).train.images, train.images);
  t.notDeepEqual(split(ds, 40, 10).train.images, train.images);
  for (let k = 0; k < train.count; k++) t.is(train.labels[k], train.images[2 * k] % 3);
  t.throws(() => split(ds, 51, 1), { instanceOf: RangeError });
});

test("batches yields full batches in order and drops the last partial one", (t) => {
  const order = Uint32Array.from({ length: 10 }, (_, i) => i);
  t.deepEqual([...batches(order, 4)].map((b) => [...b]), [[0, 1, 2, 3], [4, 5, 6, 7]]);
  t.deepEqual([...batches(order, 10)].length, 1);
  t.deepEqual([...batches(order, 11)].length, 0);
  t.throws(() => [...batches(order, 0)], { instanceOf: RangeError });
});
