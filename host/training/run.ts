// A training run over a session: seeded epochs of batches with the next ones in flight,
// checkpoints on the device and on the host, evaluation per epoch, and recovery from
// timeouts and device resets by batch id (a batch is never applied twice).
import type { Dataset } from "../datasets/dataset.ts";
import { gatherBatch, shuffledOrder } from "../datasets/dataset.ts";
import { STATE_O_DIGEST } from "../../assembly/shared/state.ts";
import { encodeSpec, type ModelSpec } from "../module/spec.ts";
import { stateSpecBytes } from "../module/state-layout.ts";
import { ProtocolError } from "../protocol/errors.ts";
import type { Session } from "../protocol/session.ts";
import { UserError } from "../errors.ts";
import { loadCheckpoint, saveCheckpoint } from "./checkpoint-file.ts";

export interface TrainJob {
  spec: ModelSpec;
  seed: number;
  epochs: number;
  train: Dataset;
  test?: Dataset;
  /** Checkpoint (device flash and host file) after every this many batches; 0 = only at the end of epochs. */
  checkpointEvery: number;
  /** Host checkpoint file; --resume reads it when the device has lost its own. */
  checkpointPath?: string;
  resume: boolean;
  /**
   * After the last batch (also when resuming a finished run), re-estimate the normalisation
   * statistics with the test-time weights on the device over the first this many training
   * samples (full batches), before the final evaluation and the state read. 0: skip.
   */
  calibrateSamples?: number;
  /** Batches in flight ahead of the one the device is computing. Default 2. */
  depth?: number;
  onBatch?: (p: BatchProgress) => void;
  onEpoch?: (p: EpochReport) => void;
  onRecover?: (reason: string, nextBatch: number) => void;
}

export interface BatchProgress { id: number; epoch: number; index: number; perEpoch: number; applied: boolean; correct: number; loss: number }
export interface EpochReport { epoch: number; testAccuracy?: number }
export interface RunResult { state: Uint8Array; digest: number; step: number; lastBatchId: number; samples: number; testAccuracy?: number; calibrated: boolean; recoveries: number }

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((v, i) => v === b[i]);
const recoverable = (e: unknown) => e instanceof ProtocolError && (e.resync || e.timeout || e.deviceReset);

/** Batch `id` (1-based over all epochs) of a seeded run: always the same samples. */
export class BatchSource {
  readonly perEpoch: number;
  private order?: { epoch: number; ids: Uint32Array };
  constructor(private readonly ds: Dataset, private readonly batch: number, private readonly seed: number) {
    this.perEpoch = Math.floor(ds.count / batch);
    if (this.perEpoch === 0) throw new UserError(`dataset ${ds.name} has ${ds.count} samples, fewer than one batch of ${batch}`, "E_DATASET");
  }
  get(id: number): { images: Uint8Array; labels: Uint8Array } {
    const epoch = Math.floor((id - 1) / this.perEpoch), index = (id - 1) % this.perEpoch;
    if (this.order?.epoch !== epoch) this.order = { epoch, ids: shuffledOrder(this.ds.count, this.seed, epoch) };
    return gatherBatch(this.ds, this.order.ids.subarray(index * this.batch, (index + 1) * this.batch));
  }
}

/** Accuracy of the device's deterministic network on a dataset, batch by batch (the next ones in flight). */
export async function evaluateOnDevice(session: Session, ds: Dataset, batch: number, depth = 2): Promise<number> {
  let correct = 0;
  const f = ds.features;
  const inFlight: Promise<void>[] = [];
  try {
    for (let at = 0; at < ds.count; at += batch) {
      const n = Math.min(batch, ds.count - at);
      const step = session.eval(ds.images.subarray(at * f, (at + n) * f), ds.labels.subarray(at, at + n)).then((c) => { correct += c; });
      step.catch(() => {}); // awaited below
      inFlight.push(step);
      if (inFlight.length > depth) await inFlight.shift();
    }
  } finally {
    await Promise.allSettled(inFlight);
  }
  await Promise.all(inFlight);
  return correct / ds.count;
}

/** Calibration over the first `count` samples of a dataset in full batches, restarting the statistics. */
/** Training samples the end-of-run calibration reads (full batches, in dataset order). */
export const CALIBRATION_SAMPLES = 8192;

export async function calibrateOnDevice(session: Session, ds: Dataset, batch: number, count: number): Promise<void> {
  const f = ds.features;
  const end = Math.min(count, ds.count);
  for (let at = 0; at + batch <= end; at += batch) {
    await session.calibrate(ds.images.subarray(at * f, (at + batch) * f), ds.labels.subarray(at, at + batch), at === 0);
  }
}

export async function runTraining(session: Session, job: TrainJob): Promise<RunResult> {
  const spec = encodeSpec(job.spec);
  const source = new BatchSource(job.train, job.spec.batch, job.seed);
  const total = source.perEpoch * job.epochs;
  const depth = job.depth ?? 2;
  let recoveries = 0;
  let testAccuracy: number | undefined;

  const saveHostCheckpoint = async () => {
    if (!job.checkpointPath) return;
    const state = await session.readState();
    const { lastBatchId } = await session.stats();
    saveCheckpoint(job.checkpointPath, { lastBatchId, state });
  };

  /** Handshake; the next batch id: the device's own progress, the host checkpoint's, or 1. */
  const handshake = async (resuming: boolean): Promise<number> => {
    const info = await session.hello();
    const m = info.model;
    const host = resuming && job.checkpointPath ? loadCheckpoint(job.checkpointPath) : undefined;
    if (resuming && m.ready && !m.dirty && sameBytes(info.spec, spec) && m.lastBatchId >= (host?.lastBatchId ?? 0)) {
      return m.lastBatchId + 1;
    }
    if (host) {
      if (!sameBytes(stateSpecBytes(host.state), spec)) throw new UserError(`${job.checkpointPath}: checkpoint is for another model spec`, "E_CHECKPOINT");
      await session.init(spec, job.seed);
      await session.writeState(host.state, host.lastBatchId);
      return host.lastBatchId + 1;
    }
    // Nothing to resume from: start over. Batches are deterministic, so the end is the same.
    await session.init(spec, job.seed);
    return 1;
  };

  /**
   * The handshake again after each link failure it survives. A device that does not even
   * answer HELLO (a timeout), or fails the handshake three times in a row (say, it traps at
   * every boot), is reported at once rather than retried for minutes.
   */
  const connect = async (resuming: boolean): Promise<number> => {
    for (let failures = 0; ; failures++) {
      try { return await handshake(resuming); } catch (e) {
        if (!recoverable(e) || (e as ProtocolError).timeout || failures >= 2 || ++recoveries > 100) throw e;
        resuming = true;
      }
    }
  };

  let next = await connect(job.resume);
  for (;;) {
    try {
      if (next > total) {
        // Done, unless a reset rolled the device back meanwhile (then this fails and we resume).
        const s = await session.stats();
        if (s.lastBatchId < total) { next = s.lastBatchId + 1; continue; }
        const calibrated = (job.calibrateSamples ?? 0) >= job.spec.batch;
        if (calibrated) {
          // Restarts from the first batch: after a failure or on --resume it gives the same state.
          await calibrateOnDevice(session, job.train, job.spec.batch, job.calibrateSamples!);
          testAccuracy = job.test ? await evaluateOnDevice(session, job.test, job.spec.batch) : undefined;
        } else if (testAccuracy === undefined && job.test) {
          testAccuracy = await evaluateOnDevice(session, job.test, job.spec.batch); // a resumed, finished run
        }
        const state = await session.readState();
        const digest = new DataView(state.buffer, state.byteOffset, state.byteLength).getUint32(STATE_O_DIGEST, true); // sealed by the read
        return { state, digest: digest >>> 0, step: s.step, lastBatchId: s.lastBatchId, samples: s.lastBatchId * job.spec.batch, testAccuracy, calibrated, recoveries };
      }
      const inFlight: Promise<void>[] = [];
      for (let id = next; id <= total; id++) {
        const { images, labels } = source.get(id);
        const epoch = Math.floor((id - 1) / source.perEpoch), index = (id - 1) % source.perEpoch;
        const step = session.train(id, images, labels).then((r) => {
          job.onBatch?.({ id, epoch, index, perEpoch: source.perEpoch, applied: r.applied, correct: r.correct, loss: r.loss / 256 });
        });
        step.catch(() => {}); // awaited below; after a failure the rest are dropped, not unhandled
        inFlight.push(step);
        if (inFlight.length > depth) await inFlight.shift();
        const endOfEpoch = index === source.perEpoch - 1;
        if (endOfEpoch || (job.checkpointEvery > 0 && id % job.checkpointEvery === 0)) {
          await Promise.all(inFlight.splice(0));
          await session.checkpoint();
          await saveHostCheckpoint();
        }
        if (endOfEpoch) {
          testAccuracy = job.test ? await evaluateOnDevice(session, job.test, job.spec.batch) : undefined;
          job.onEpoch?.({ epoch, testAccuracy });
        }
        next = id + 1;
      }
      await Promise.all(inFlight.splice(0));
    } catch (e) {
      if (!recoverable(e) || ++recoveries > 100) throw e;
      next = await connect(true);
      job.onRecover?.((e as Error).message, next);
    }
  }
}
