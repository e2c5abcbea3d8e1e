// Gathers shuffled samples into one contiguous batch buffer (what the device receives).
import { batches, gatherBatch, shuffledOrder, type Dataset } from "../datasets/dataset.ts";

export interface Batch { index: number; images: Uint8Array; labels: Uint8Array }

/** The full batches of one epoch, in the seeded order (the last partial batch is dropped). */
export function* epochBatches(ds: Dataset, batchSize: number, seed: number, epoch: number): Generator<Batch> {
  let index = 0;
  for (const ids of batches(shuffledOrder(ds.count, seed, epoch), batchSize)) {
    yield { index: index++, ...gatherBatch(ds, ids) };
  }
}
