// The run record: what `fewmul train` saw, kept next to the model file as `<model>.run.json`
// (docs/report.md) so that `fewmul report` can draw the run again later. Written atomically
// every 100 batches and at every epoch (a resumed run keeps the batches recorded before the
// interruption), and at the end, when it is tied to the model by its state digest.
import { existsSync } from "node:fs";
import { writeFileAtomic } from "../files.ts";
import { checker, readJsonFile } from "./json-file.ts";

export const RUN_FORMAT = "fewmul-run";
export const RUN_VERSION = 1;
/** The recorder saves the record after every this many batches, and at every epoch. */
export const SAVE_EVERY = 100;

export interface RunRecord {
  format: typeof RUN_FORMAT;
  version: typeof RUN_VERSION;
  /** The model spec in text form (formatSpec). */
  model: string;
  /** Digest of the model file the run wrote (8 hex digits); null while the run is going. */
  state_digest: string | null;
  board: { id: string; name: string; ram: number };
  /** `kind` and `data` as given to train (data null when not needed); sample counts. */
  dataset: { kind: string; data: string | null; name: string; train: number; test: number; classes: number };
  seed: number;
  epochs: number;
  batch: number;
  per_epoch: number;
  /** Per batch id - 1: the device's loss (squared hinge summed over the batch, docs/model-format.md)
   * and its correct count (sampled weights); null for a batch not recorded. */
  loss: (number | null)[];
  correct: (number | null)[];
  /** Per epoch: test accuracy (0..1) of the deterministic network on the device. */
  test_accuracy: (number | null)[];
  /** Samples trained on (as train --json reports), null while the run is going. */
  samples: number | null;
  /** Test accuracy of the saved model (train --json's test_accuracy) and whether the end-of-run
   * calibration produced it; null/false while the run is going. */
  final_test_accuracy: number | null;
  calibrated: boolean;
  /** Size of the device module (bytes) and, for firmware boards, the image's sections. */
  module_bytes: number | null;
  firmware: { text: number; data: number; bss: number } | null;
  /** counts[true][predicted] of the model with `state_digest` on the test split, if computed. */
  confusion: number[][] | null;
}

/** Where the run record of a model file lives. */
export const runRecordPath = (modelFile: string) => `${modelFile}.run.json`;

export function writeRunRecord(path: string, r: RunRecord): void {
  writeFileAtomic(path, `${JSON.stringify(r)}\n`);
}

/** Reads and checks a run record; one-line UserErrors name the file. */
export function readRunRecord(path: string): RunRecord {
  const o = readJsonFile(path, RUN_FORMAT, RUN_VERSION, "run record");
  const c = checker(path, "run record");
  c.string(o, "model");
  if (o.state_digest !== null && !/^[0-9a-f]{8}$/.test(String(o.state_digest))) c.fail("state_digest", "8 hex digits or null");
  const board = (o.board ?? {}) as Record<string, unknown>;
  c.string(board, "id"); c.string(board, "name"); c.int(board, "ram");
  const ds = (o.dataset ?? {}) as Record<string, unknown>;
  c.string(ds, "kind"); c.string(ds, "name");
  for (const k of ["train", "test", "classes"]) c.int(ds, k);
  for (const k of ["seed", "epochs", "batch", "per_epoch"]) c.int(o, k);
  const total = (o.epochs as number) * (o.per_epoch as number);
  c.numbers(o, "loss", total);
  c.numbers(o, "correct", total);
  c.numbers(o, "test_accuracy", o.epochs as number);
  if (o.samples !== null) c.int(o, "samples");
  // Records written before calibration existed have neither field: the last epoch is final.
  o.final_test_accuracy ??= null;
  o.calibrated ??= false;
  if (o.final_test_accuracy !== null && typeof o.final_test_accuracy !== "number") c.fail("final_test_accuracy", "a number or null");
  if (o.module_bytes !== null) c.int(o, "module_bytes");
  if (o.confusion !== null) {
    const m = o.confusion;
    const n = ds.classes as number;
    if (!Array.isArray(m) || !m.every((row) => Array.isArray(row) && row.length === m.length && row.every((v) => Number.isInteger(v) && v >= 0)) || m.length < n) {
      c.fail("confusion", "a square matrix of counts");
    }
  }
  return o as unknown as RunRecord;
}

export interface RunStart {
  model: string;
  board: RunRecord["board"];
  dataset: RunRecord["dataset"];
  seed: number;
  epochs: number;
  batch: number;
  perEpoch: number;
  sizes: { module_bytes: number | null; firmware: RunRecord["firmware"] };
}

/**
 * Collects a run's history as it goes (train's onBatch/onEpoch) and writes the record. With
 * `resume`, batches and epochs of an earlier record of the same run are kept.
 */
export class RunRecorder {
  readonly record: RunRecord;

  constructor(readonly path: string, start: RunStart, resume: boolean) {
    const total = start.epochs * start.perEpoch;
    this.record = {
      format: RUN_FORMAT, version: RUN_VERSION, model: start.model, state_digest: null,
      board: start.board, dataset: start.dataset, seed: start.seed, epochs: start.epochs,
      batch: start.batch, per_epoch: start.perEpoch,
      loss: new Array(total).fill(null), correct: new Array(total).fill(null),
      test_accuracy: new Array(start.epochs).fill(null), samples: null, final_test_accuracy: null, calibrated: false,
      module_bytes: start.sizes.module_bytes, firmware: start.sizes.firmware, confusion: null,
    };
    if (resume) this.adopt();
  }

  /** Copies what an earlier record of the same run (model, seed, data, batching) holds. */
  private adopt(): void {
    if (!existsSync(this.path)) return;
    let old: RunRecord;
    try { old = readRunRecord(this.path); } catch { return; } // an unreadable history is started again
    const r = this.record;
    if (old.model !== r.model || old.seed !== r.seed || old.batch !== r.batch || old.per_epoch !== r.per_epoch || old.dataset.name !== r.dataset.name) return;
    for (let i = 0; i < Math.min(old.loss.length, r.loss.length); i++) { r.loss[i] = old.loss[i]; r.correct[i] = old.correct[i]; }
    for (let e = 0; e < Math.min(old.epochs, r.epochs); e++) r.test_accuracy[e] = old.test_accuracy[e];
  }

  /** A batch's result; saves the record every SAVE_EVERY batches (a resumed run loses none
   * the device kept: its checkpoints come every 100 batches by default). */
  batch(p: { id: number; correct: number; loss: number }): void {
    if (p.id < 1 || p.id > this.record.loss.length) return;
    this.record.loss[p.id - 1] = p.loss;
    this.record.correct[p.id - 1] = p.correct;
    if (p.id % SAVE_EVERY === 0) writeRunRecord(this.path, this.record);
  }

  /** An epoch's test accuracy; saves the record so far. */
  epoch(e: { epoch: number; testAccuracy?: number }): void {
    if (e.epoch >= 0 && e.epoch < this.record.epochs) this.record.test_accuracy[e.epoch] = e.testAccuracy ?? null;
    writeRunRecord(this.path, this.record);
  }

  /** The end of the run: ties the record to the model file written. */
  finish(r: { digest: number; samples: number; testAccuracy?: number; calibrated: boolean; confusion?: number[][] }): RunRecord {
    this.record.state_digest = (r.digest >>> 0).toString(16).padStart(8, "0");
    this.record.samples = r.samples;
    this.record.final_test_accuracy = r.testAccuracy ?? null;
    this.record.calibrated = r.calibrated;
    this.record.confusion = r.confusion ?? null;
    writeRunRecord(this.path, this.record);
    return this.record;
  }
}
