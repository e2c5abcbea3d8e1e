/**
 * Epoch-level helpers around ReferenceMlp: seeded shuffling (the same permutation as
 * host/datasets/dataset.ts's shuffledOrder, so the reference sees the samples in the order
 * the device runs use), gathering batches into reused buffers, evaluation.
 */
import { gatherBatch, shuffledOrder } from "../datasets/dataset.ts";
import type { ReferenceMlp } from "./mlp.ts";
import type { WeightMode } from "./options.ts";

/** The part of a dataset the reference needs (host/datasets' Dataset satisfies it). */
export interface Samples {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  features: number;
}

export interface EpochResult {
  /** Mean of the batch losses. */
  loss: number;
  /** Training error (fraction) of the training forward passes. */
  trainError: number;
  steps: number;
  seconds: number;
}

/** Training steps per epoch when the last partial batch is dropped. */
export function stepsPerEpoch(count: number, batch: number): number {
  return Math.floor(count / batch);
}

/**
 * One epoch: order = shuffledOrder(count, seed, epoch), consecutive full batches of
 * model.batch samples (the last partial batch is dropped), one trainBatch each.
 */
export function trainEpoch(model: ReferenceMlp, data: Samples, seed: number, epoch: number): EpochResult {
  if (data.features !== model.sizes[0]) {
    throw new RangeError(`trainEpoch: data has ${data.features} features, model expects ${model.sizes[0]}`);
  }
  const t0 = performance.now();
  const B = model.batch;
  const order = shuffledOrder(data.count, seed, epoch);
  const batch = { images: new Uint8Array(B * data.features), labels: new Uint8Array(B) };
  const steps = stepsPerEpoch(data.count, B);
  let loss = 0;
  let correct = 0;
  for (let s = 0; s < steps; s++) {
    const { images, labels } = gatherBatch(data, order.subarray(s * B, (s + 1) * B), batch);
    const r = model.trainBatch(images, labels, B);
    loss += r.loss;
    correct += r.correct;
  }
  return {
    loss: steps > 0 ? loss / steps : 0,
    trainError: steps > 0 ? 1 - correct / (steps * B) : 0,
    steps,
    seconds: (performance.now() - t0) / 1000,
  };
}

/** Test error (fraction) over all samples with the given weight mode. */
export function testError(model: ReferenceMlp, data: Samples, weights: WeightMode): number {
  return 1 - model.evaluate(data.images, data.labels, data.count, weights) / data.count;
}
