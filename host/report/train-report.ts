// What `fewmul train` does for the report: record the run next to the model file and, with
// --report, draw it. Kept here so that train.ts only forwards its callbacks.
import type { BoardManifest } from "../boards/manifest.ts";
import type { Dataset } from "../datasets/dataset.ts";
import { parseModelFile } from "../export/model-file.ts";
import { formatSpec, type ModelSpec } from "../module/spec.ts";
import { confusionMatrix } from "./model-stats.ts";
import { checkOutputPath, deviceSizes, reportData, writeReport } from "./report.ts";
import { RunRecorder, runRecordPath } from "./run-record.ts";

export interface TrainRun {
  out: string;
  resume: boolean;
  board: BoardManifest;
  spec: ModelSpec;
  seed: number;
  epochs: number;
  dataset: { kind: string; data?: string; train: Dataset; test: Dataset };
}

/** A recorder writing `<out>.run.json` (kept from an earlier record when resuming); checks --report. */
export function startRunRecord(r: TrainRun & { report?: string }): RunRecorder {
  if (r.report !== undefined) checkOutputPath("report", r.report);
  const { train, test } = r.dataset;
  return new RunRecorder(runRecordPath(r.out), {
    model: formatSpec(r.spec), board: { id: r.board.id, name: r.board.name, ram: r.board.ram },
    dataset: { kind: r.dataset.kind, data: r.dataset.data ?? null, name: train.name.replace(/\/train$/, ""), train: train.count, test: test.count, classes: test.classes },
    seed: r.seed, epochs: r.epochs, batch: r.spec.batch, perEpoch: Math.floor(train.count / r.spec.batch),
    sizes: deviceSizes(r.board),
  }, r.resume);
}

/**
 * The end of a run: the record tied to the model state; with `report`, the confusion matrix
 * on the test split and the page. Returns the page's size, or undefined without `report`.
 */
export function finishRunRecord(recorder: RunRecorder, result: { state: Uint8Array; digest: number; samples: number; testAccuracy?: number; calibrated: boolean }, r: TrainRun & { report?: string }): number | undefined {
  const model = r.report ? parseModelFile(result.state, r.out) : undefined;
  const confusion = model ? confusionMatrix(model, r.dataset.test) : undefined;
  const record = recorder.finish({ digest: result.digest, samples: result.samples, testAccuracy: result.testAccuracy, calibrated: result.calibrated, confusion });
  if (!r.report || !model) return undefined;
  return writeReport(r.report, reportData({ model, record, board: r.board }));
}
