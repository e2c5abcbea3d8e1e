// fewmul as a library (package.json "exports"): what a script driving a board needs, the same
// functions the CLI is built on. README, "Programmatic use", has an example.
export { connect, type Connection, type ConnectOptions } from "./connect.ts";
export { runTraining as train, evaluateOnDevice as evaluate } from "./training/run.ts";
export type { TrainJob, RunResult, BatchProgress, EpochReport } from "./training/run.ts";
export { validate, type ValidateJob, type ValidateResult, type Divergence } from "./training/validate.ts";
export { loadBoard, listBoards, type BoardManifest } from "./boards/manifest.ts";
export { loadDataset as readDataset, DATASET_KINDS, type DatasetKind, type LoadOptions as ReadDatasetOptions } from "./datasets/index.ts";
export type { Dataset } from "./datasets/dataset.ts";
export { parseSpec, formatSpec, encodeSpec, DEFAULT_SPEC, type ModelSpec } from "./module/spec.ts";
export { parseModelSpec } from "./module/conv-spec.ts";
export { readModelFile, type ModelFile } from "./export/model-file.ts";
export { startEmulator, type EmulatorOptions, type RunningEmulator } from "./emulator/server.ts";
export { Session } from "./protocol/session.ts";
export { ProtocolError } from "./protocol/errors.ts";
export { UserError } from "./errors.ts";
