/**
 * The one in-memory shape every dataset reader returns, plus seeded splitting,
 * shuffling and batching. Everything here is deterministic across runs and machines
 * (integer arithmetic only), so a seed printed in a log reproduces a run exactly.
 */

/**
 * An image's shape, listed (channels, height, width) as in the conv spec `3x32x32-...`.
 * The pixels themselves are stored channels-last (HWC), the order the conv kernels read
 * (docs/model-format.md, "Convolutional nets").
 */
export type ImageShape = readonly [channels: number, height: number, width: number];

/**
 * Images as uint8 pixels, sample i at images[i*features .. (i+1)*features), HWC order:
 * pixel (row r, column c, channel ch) at (r * width + c) * channels + ch. Dense nets read
 * the same bytes as a flat vector of `features` inputs.
 */
export interface Dataset {
  name: string;
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  /** width * height * channels, e.g. 784 (28x28x1) or 3072 (32x32x3). */
  features: number;
  width: number;
  height: number;
  channels: number;
  /** [channels, height, width]: the same numbers as the three fields above. */
  shape: ImageShape;
  classes: number;
}

/** A new dataset holding copies of the samples at `indices`, in that order. */
export function subset(ds: Dataset, indices: ArrayLike<number>, name = ds.name): Dataset {
  const f = ds.features;
  const images = new Uint8Array(indices.length * f);
  const labels = new Uint8Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    if (!Number.isInteger(i) || i < 0 || i >= ds.count) {
      throw new RangeError(`subset: index ${i} is outside 0..${ds.count - 1}`);
    }
    images.set(ds.images.subarray(i * f, (i + 1) * f), k * f);
    labels[k] = ds.labels[i];
  }
  return { ...ds, name, images, labels, count: indices.length };
}

/** One batch as the device receives it: the samples' pixels back to back, then their labels. */
export interface BatchData { images: Uint8Array; labels: Uint8Array }

/**
 * Copies the samples at `ids` into one contiguous batch, into `into` when given (reused
 * buffers of at least ids.length samples), else into new arrays.
 */
export function gatherBatch(
  ds: Pick<Dataset, "images" | "labels" | "features">, ids: ArrayLike<number>,
  into: BatchData = { images: new Uint8Array(ids.length * ds.features), labels: new Uint8Array(ids.length) },
): BatchData {
  const f = ds.features;
  for (let k = 0; k < ids.length; k++) {
    const s = ids[k];
    into.images.set(ds.images.subarray(s * f, s * f + f), k * f);
    into.labels[k] = ds.labels[s];
  }
  return into;
}

/**
 * Seeded disjoint split: the first `trainCount` samples of shuffledOrder(count, seed, 0)
 * form `train`, the rest `test` (both keep that shuffled order).
 */
export function split(ds: Dataset, trainCount: number, seed: number): { train: Dataset; test: Dataset } {
  if (!Number.isInteger(trainCount) || trainCount < 0 || trainCount > ds.count) {
    throw new RangeError(`split: trainCount ${trainCount} is outside 0..${ds.count}`);
  }
  const order = shuffledOrder(ds.count, seed, 0);
  return {
    train: subset(ds, order.subarray(0, trainCount), `${ds.name}/train`),
    test: subset(ds, order.subarray(trainCount), `${ds.name}/test`),
  };
}

/** MurmurHash3's 32-bit finalizer (fmix32): a bijection on uint32 that mixes all bits. */
export function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/**
 * splitmix32: state += 0x9e3779b9 (mod 2^32), output mix32(state).
 * Returns a function yielding uint32 values.
 */
export function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    return mix32(s);
  };
}

/**
 * A permutation of 0..count-1, fixed by (seed, epoch). Exact algorithm:
 *   state0 = mix32((seed >>> 0) ^ mix32((epoch >>> 0) ^ 0x5851f42d)), rng = splitmix32(state0)
 *   order = [0, 1, ..., count-1]
 *   for i = count-1 down to 1: j = floor(rng() * (i + 1) / 2^32); swap(order[i], order[j])
 * (Fisher-Yates; the product is exact in a double for count <= 2^21, and stays
 * deterministic beyond that since IEEE doubles round the same everywhere.)
 */
export function shuffledOrder(count: number, seed: number, epoch: number): Uint32Array {
  const rng = splitmix32(mix32((seed >>> 0) ^ mix32((epoch >>> 0) ^ 0x5851f42d)));
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor((rng() * (i + 1)) / 4294967296);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}

/**
 * Consecutive slices of `order`, each exactly `batchSize` long. The last partial
 * batch is dropped so every step sees the same batch size (reshuffle each epoch
 * so the dropped samples differ).
 */
export function* batches(order: Uint32Array, batchSize: number): Generator<Uint32Array> {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batches: batchSize must be a positive integer, got ${batchSize}`);
  }
  for (let i = 0; i + batchSize <= order.length; i += batchSize) {
    yield order.subarray(i, i + batchSize);
  }
}
