import { defineCommand } from "citty";
import { existsSync } from "node:fs";
import { UserError } from "../../errors.ts";
import { board, dataset } from "../common.ts";
import { logger, printResult } from "../output.ts";
import { readModelFile, type ModelFile } from "../../export/model-file.ts";
import { checkOutputPath, reportData, writeReport } from "../../report/report.ts";
import { readRunRecord, runRecordPath, type RunRecord } from "../../report/run-record.ts";
import { readValidateLog, type ValidateLog } from "../../report/validate-log.ts";

export default defineCommand({
  meta: { name: "report", description: "Write a self-contained HTML report of a trained model (and its run record MODEL.run.json) and/or a validate log" },
  args: {
    "model-file": { type: "string", description: "Trained model (train --out); its history is read from MODEL.run.json when present (default model.fewmul unless only --validate-log is given)" },
    "validate-log": { type: "string", description: "Log of fewmul validate --log, drawn as device vs emulator per batch" },
    out: { type: "string", description: "HTML file to write, atomically", default: "report.html" },
    dataset: { type: "string", description: "Dataset of the confusion matrix, computed from its test split (default: the matrix in the run record, else the run's dataset, else mnist)" },
    data: { type: "string", description: "Dataset path (as for train)" },
    board: { type: "string", description: "Board of the memory plan when there is no run record (default: the run's, else emulator)" },
    json: { type: "boolean", description: "Print one JSON object on stdout", default: false },
  },
  async run({ args }) {
    checkOutputPath("out", args.out);
    const validate: ValidateLog | undefined = args["validate-log"] !== undefined ? readValidateLog(args["validate-log"]) : undefined;
    const modelPath = args["model-file"] ?? (validate ? undefined : "model.fewmul");
    const model: ModelFile | undefined = modelPath !== undefined ? readModelFile(modelPath) : undefined;
    const recordPath = modelPath !== undefined ? runRecordPath(modelPath) : undefined;
    const record: RunRecord | undefined = recordPath && existsSync(recordPath) ? readRunRecord(recordPath) : undefined;
    const b = board(args.board ?? record?.board.id ?? validate?.board.id ?? "emulator");
    // the board's RAM as the run saw it (a manifest may have changed since)
    const ram = !args.board && record ? record.board.ram : b.ram;

    // The confusion matrix comes from the record when it holds one for this model, else (or
    // when --dataset/--data ask for another) from the test split.
    let test;
    const recorded = record?.confusion && record.state_digest === model?.digest.toString(16).padStart(8, "0");
    if (model && (!recorded || args.dataset !== undefined || args.data !== undefined)) {
      test = dataset(args.dataset ?? record?.dataset.kind ?? "mnist", args.data ?? record?.dataset.data ?? undefined, "test");
      const sizes = model.spec.sizes;
      if (sizes[0] !== test.features) throw new UserError(`${model.path}: model has ${sizes[0]} inputs but ${test.name} samples have ${test.features} (pass --dataset)`, "E_SPEC");
      if (sizes[sizes.length - 1] < test.classes) throw new UserError(`${model.path}: model has ${sizes[sizes.length - 1]} outputs but ${test.name} has ${test.classes} classes (pass --dataset)`, "E_SPEC");
    }
    if (!record && model) logger.info(`${recordPath}: no run record, the report has no training history`);
    const bytes = writeReport(args.out, reportData({ model, record, validate, test, board: { ...b, ram } }));
    printResult({
      out: args.out, bytes, model_file: modelPath ?? null, run_record: record ? recordPath : null,
      validate_log: args["validate-log"] ?? null,
    }, args.json);
  },
});
