// Gathers shuffled samples into one contiguous batch buffer (what the device receives).
import { batches, shuffledOrder, type Dataset } from "../datasets/dataset.ts";

export interface Batch { index: number; images: Uint8Array; labels: Uint8Array }

/** The full batches of one epoch, in the seeded order (the last partial batch is dropped). */
export function* epochBatches(ds: Dataset, batchSize: number, seed: number, epoch: number): Generator<Batch> {
  const f = ds.features;
  let index = 0;
  for (const ids of batches(shuffledOrder(ds.count, seed, epoch), batchSize)) {
    const images = new Uint8Array(batchSize * f);
    const labels = new Uint8Array(batchSize);
    ids.forEach((id, k) => {
      images.set(ds.images.subarray(id * f, id * f + f), k * f);
      labels[k] = ds.labels[id];
    });
    yield { index: index++, images, labels };
  }
}

export function batchesPerEpoch(ds: Dataset, batchSize: number): number {
  return Math.floor(ds.count / batchSize);
}
