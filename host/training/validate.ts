// Bit-exactness check of a board: the same seeded batches trained on the device and on a
// reference (the module in this process), state digests compared after every batch.
import type { Dataset } from "../datasets/dataset.ts";
import { encodeSpec, type ModelSpec } from "../module/spec.ts";
import { firstDifference } from "../module/state-layout.ts";
import type { Session } from "../protocol/session.ts";
import { BatchSource } from "./run.ts";

export interface ValidateJob {
  spec: ModelSpec;
  seed: number;
  /** Batches are drawn from it as training draws them (seeded shuffle, batch ids from 1). */
  train: Dataset;
  /** Batches to compare. */
  batches: number;
  /** After each batch: both sides' state digest, loss (Q8, as the device reports it) and correct count. */
  onBatch?: (id: number, device: BatchOutcome, reference: BatchOutcome) => void;
}

export interface BatchOutcome { digest: number; loss: number; correct: number }

/** Where two runs first differ: the batch after which, and the state tensor and element. */
export interface Divergence { batch: number; tensor: string; index: number }

export interface ValidateResult { identical: boolean; batches: number; firstDivergence: Divergence | null }

/**
 * Initialises both sessions with the spec and seed, trains them batch by batch and stops at
 * the first batch after which their digest, correct count or loss differ.
 */
export async function validate(device: Session, reference: Session, job: ValidateJob): Promise<ValidateResult> {
  const source = new BatchSource(job.train, job.spec.batch, job.seed);
  const bytes = encodeSpec(job.spec);
  await Promise.all([device.init(bytes, job.seed), reference.init(bytes, job.seed)]);
  for (let id = 1; id <= job.batches; id++) {
    const { images, labels } = source.get(id);
    const [d, r] = await Promise.all([device.train(id, images, labels), reference.train(id, images, labels)]);
    const [ds, rs] = await Promise.all([device.stats(), reference.stats()]);
    job.onBatch?.(id, { digest: ds.digest, loss: d.loss, correct: d.correct }, { digest: rs.digest, loss: r.loss, correct: r.correct });
    if (ds.digest !== rs.digest || d.correct !== r.correct || d.loss !== r.loss) {
      const [a, c] = await Promise.all([device.readState(), reference.readState()]);
      const where = firstDifference(a, c) ?? { tensor: "digest", index: 0 };
      return { identical: false, batches: id, firstDivergence: { batch: id, ...where } };
    }
  }
  return { identical: true, batches: job.batches, firstDivergence: null };
}
