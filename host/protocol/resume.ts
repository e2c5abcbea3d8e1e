// Training that survives a flaky link and device resets. Batch ids make it simple: the
// device reports the last batch its weights hold (after a reset: the checkpoint's), the host
// resumes from the next one, and a batch sent twice is acknowledged, not trained twice. With
// a deterministic batch source the final state equals the one of an undisturbed run.
import { ProtocolError } from "./errors.ts";
import type { DeviceInfo } from "./messages.ts";
import type { Session } from "./session.ts";

export interface Batch { inputs: Uint8Array; labels: Uint8Array }

export interface ResumableRun {
  spec: Uint8Array;
  seed: bigint | number;
  /** Train batch ids 1..batches. */
  batches: number;
  /** The batch with this id; must return the same data every time it is asked. */
  batch: (id: number) => Batch;
  /** Checkpoint to flash after every this many batches (0: never; a reset then restarts from 1). */
  checkpointEvery: number;
  /** Give up after this many recoveries (default 100). */
  maxRecoveries?: number;
  onProgress?: (id: number, applied: boolean) => void;
}

export interface RunResult { digest: number; step: number; recoveries: number }

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((v, i) => v === b[i]);

export async function trainResumable(session: Session, run: ResumableRun): Promise<RunResult> {
  let recoveries = 0;
  const recoverable = (err: unknown) =>
    err instanceof ProtocolError && err.resync && ++recoveries <= (run.maxRecoveries ?? 100);

  /** Handshake, then the next batch id to train: the device's own view after any reset. */
  const connect = async (): Promise<number> => {
    for (;;) {
      try {
        const info: DeviceInfo = await session.hello();
        const m = info.model;
        if (m.ready && !m.dirty && sameBytes(info.spec, run.spec)) return m.lastBatchId + 1;
        await session.init(run.spec, run.seed);
        return 1;
      } catch (err) {
        if (!recoverable(err)) throw err;
      }
    }
  };

  let next = await connect();
  for (;;) {
    try {
      if (next > run.batches) {
        // Done, unless a reset rolled the device back meanwhile (then stats fails with resync).
        const s = await session.stats();
        if (s.lastBatchId >= run.batches) return { digest: s.digest, step: s.step, recoveries };
        next = s.lastBatchId + 1;
        continue;
      }
      const { inputs, labels } = run.batch(next);
      const r = await session.train(next, inputs, labels);
      run.onProgress?.(next, r.applied);
      if (run.checkpointEvery > 0 && next % run.checkpointEvery === 0) await session.checkpoint();
      next++;
    } catch (err) {
      if (!recoverable(err)) throw err;
      next = await connect();
    }
  }
}
