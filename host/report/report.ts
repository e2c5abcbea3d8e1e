// Gathers what the report shows from its sources (model file, run record, validate log,
// test split, board) and writes the page. `fewmul train --report` and `fewmul report` both
// come here.
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { boardBuildDir } from "../boards/board-build.ts";
import { UserError } from "../errors.ts";
import { writeFileAtomic } from "../files.ts";
import type { Dataset } from "../datasets/dataset.ts";
import { exportModel } from "../export/format.ts";
import type { ModelFile } from "../export/model-file.ts";
import { DeviceModel } from "../module/device-model.ts";
import { RELEASE_MODULE } from "../module/loader.ts";
import { formatSpec, specArch, type ModelSpec } from "../module/spec.ts";
import { parseModelSpec } from "../module/conv-spec.ts";
import { renderReport, type ReportData } from "./html.ts";
import { memoryPlan } from "./memory-plan.ts";
import { confusionMatrix, weightStats } from "./model-stats.ts";
import type { RunRecord } from "./run-record.ts";
import type { ValidateLog } from "./validate-log.ts";

const hex = (n: number) => (n >>> 0).toString(16).padStart(8, "0");

/** Size of the device module and, for firmware boards, of the last image `fewmul build` made. */
export function deviceSizes(board: { id: string; runtime?: string }): ReportData["sizes"] {
  const module_bytes = existsSync(RELEASE_MODULE) ? statSync(RELEASE_MODULE).size : null;
  let firmware: ReportData["sizes"]["firmware"] = null;
  const stamp = join(boardBuildDir(board.id), "build.json"); // the sizes `fewmul build` measured
  if (board.runtime !== "node" && existsSync(stamp)) {
    try {
      const f = JSON.parse(readFileSync(stamp, "utf8"));
      if ([f.text, f.data, f.bss].every(Number.isInteger)) firmware = { text: f.text, data: f.data, bss: f.bss };
    } catch { /* a broken stamp: no firmware sizes */ }
  }
  return { module_bytes, firmware };
}

/** An output file option must name a file (checked before any work is done). */
export function checkOutputPath(option: string, path: string): void {
  if (path === "" || path.endsWith("/") || (existsSync(path) && statSync(path).isDirectory())) {
    throw new UserError(`--${option} must name a file, got "${path}"`, "E_USAGE");
  }
}

export interface ReportSources {
  model?: ModelFile;
  record?: RunRecord;
  validate?: ValidateLog;
  board: { id: string; name: string; ram: number; runtime?: string };
  /** Test split for the confusion matrix; without it, the one the run record holds (if any). */
  test?: Dataset;
}

export function reportData(s: ReportSources): ReportData {
  const { model, record, validate } = s;
  if (!model && !validate) throw new UserError("nothing to report: give a model file or a validate log", "E_USAGE");
  const digest = model ? hex(model.digest) : undefined;
  if (model && record && record.state_digest !== null && record.state_digest !== digest) {
    throw new UserError(`${model.path}: the run record belongs to another model (record digest ${record.state_digest}, model ${digest}); retrain or pass the matching files`, "E_REPORT");
  }
  const spec: ModelSpec = model ? model.spec : parseModelSpec(validate!.model);
  // The host's inference model (confusion matrix, weight shares): dense nets only so far.
  const exported = model && !model.spec.conv ? exportModel(model) : undefined;
  let confusion: ReportData["confusion"];
  if (model && s.test && exported) {
    confusion = { matrix: confusionMatrix(model, s.test, exported), dataset: `${s.test.name}, ${s.test.count} test samples` };
  } else if (model && record?.confusion && record.state_digest === digest) {
    confusion = { matrix: record.confusion, dataset: `${record.dataset.name}, ${record.dataset.test} test samples` };
  }
  const required = new DeviceModel({ ramBytes: 1 << 30 }).requiredBytes(spec);
  // the sizes the run recorded, unless the report is asked about another board
  const sizes = record && record.module_bytes !== null && record.board.id === s.board.id ? { module_bytes: record.module_bytes, firmware: record.firmware } : deviceSizes(s.board);
  return {
    title: `fewmul ${record ? "training run" : validate ? "validation" : "model"}: ${specArch(spec)} ${spec.mode.toUpperCase()} on ${s.board.id}`,
    model: formatSpec(spec),
    modelFile: model ? { path: model.path, digest: digest! } : undefined,
    board: { id: s.board.id, name: s.board.name, ram: s.board.ram },
    run: record, validate, confusion,
    weights: model && exported ? { mode: spec.mode, layers: weightStats(model, exported) } : undefined,
    memory: { entries: memoryPlan(spec, required), required },
    sizes,
  };
}

/** Renders and writes the page atomically; returns its size in bytes. */
export function writeReport(path: string, data: ReportData): number {
  const html = renderReport(data);
  try {
    writeFileAtomic(path, html);
  } catch (e) {
    throw new UserError(`cannot write the report ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, "E_REPORT");
  }
  return Buffer.byteLength(html);
}
