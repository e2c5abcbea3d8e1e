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

/**
 * shuffledOrder as its doc comment specifies it, written independently in BigInt arithmetic
 * (exact products, no Math.imul, no doubles): a second implementation to check against.
 */
function specifiedOrder(count: number, seed: number, epoch: number): number[] {
  const M = (1n << 32n) - 1n;
  const fmix = (x: bigint) => {
    x ^= x >> 16n; x = (x * 0x85ebca6bn) & M;
    x ^= x >> 13n; x = (x * 0xc2b2ae35n) & M;
    return x ^ (x >> 16n);
  };
  let state = fmix(BigInt(seed >>> 0) ^ fmix(BigInt(epoch >>> 0) ^ 0x5851f42dn));
  const next = () => { state = (state + 0x9e3779b9n) & M; return fmix(state); };
  const order = Array.from({ length: count }, (_, i) => i);
  for (let i = count - 1; i > 0; i--) {
    const j = Number((next() * BigInt(i + 1)) >> 32n);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

test("shuffledOrder follows its documented algorithm (an independent BigInt implementation)", (t) => {
  for (const [count, seed, epoch] of [[10, 1, 0], [10, 1, 1], [10, 2, 0], [0, 1, 0], [1, 1, 0], [1000, 0xffffffff, 7], [60000, 42, 3]]) {
    t.deepEqual([...shuffledOrder(count, seed, epoch)], specifiedOrder(count, seed, epoch), `${count} ${seed} ${epoch}`);
  }
});

test("shuffledOrder is unbiased: over 12,000 seeds every value lands in every position about equally", (t) => {
  const n = 5, seeds = 12000, counts = Array.from({ length: n }, () => new Array(n).fill(0));
  for (let seed = 0; seed < seeds; seed++) shuffledOrder(n, seed, 0).forEach((v, pos) => counts[pos][v]++);
  const expected = seeds / n;
  // chi-square with (n-1)^2 = 16 degrees of freedom; 39.25 is its 0.1 % quantile
  const chi2 = counts.flat().reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
  t.log(`chi-square ${chi2.toFixed(1)} (16 degrees of freedom)`);
  t.true(chi2 < 39.25);
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
