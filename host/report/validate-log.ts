// The validate log (`fewmul validate --log FILE`, docs/report.md): per batch the state digest,
// loss and correct count of the device and of the in-process emulator, and the first
// divergence. Written atomically when validate ends; `fewmul report --validate-log` draws it.
import { writeFileAtomic } from "../files.ts";
import { checker, readJsonFile } from "./json-file.ts";

export const VALIDATE_FORMAT = "fewmul-validate";
export const VALIDATE_VERSION = 1;

/** One compared batch; digests are 8 hex digits, loss as the device reports it. */
export interface ValidateBatch {
  id: number;
  device_digest: string;
  emulator_digest: string;
  device_loss: number;
  emulator_loss: number;
  device_correct: number;
  emulator_correct: number;
}

export interface ValidateLog {
  format: typeof VALIDATE_FORMAT;
  version: typeof VALIDATE_VERSION;
  board: { id: string; name: string };
  port: string;
  model: string;
  seed: number;
  batch: number;
  batches: ValidateBatch[];
  identical: boolean;
  first_divergence: { batch: number; tensor: string; index: number } | null;
}

const hex = (n: number) => (n >>> 0).toString(16).padStart(8, "0");

/** Collects validate's comparisons. */
export class ValidateRecorder {
  readonly log: ValidateLog;
  constructor(start: { board: { id: string; name: string }; port: string; model: string; seed: number; batch: number }) {
    this.log = { format: VALIDATE_FORMAT, version: VALIDATE_VERSION, ...start, batches: [], identical: true, first_divergence: null };
  }

  batch(id: number, device: { digest: number; loss: number; correct: number }, emulator: { digest: number; loss: number; correct: number }): void {
    this.log.batches.push({
      id, device_digest: hex(device.digest), emulator_digest: hex(emulator.digest),
      device_loss: device.loss, emulator_loss: emulator.loss, device_correct: device.correct, emulator_correct: emulator.correct,
    });
  }

  write(path: string, divergence: ValidateLog["first_divergence"]): void {
    this.log.first_divergence = divergence;
    this.log.identical = divergence === null;
    writeFileAtomic(path, `${JSON.stringify(this.log)}\n`);
  }
}

export function readValidateLog(path: string): ValidateLog {
  const o = readJsonFile(path, VALIDATE_FORMAT, VALIDATE_VERSION, "validate log");
  const c = checker(path, "validate log");
  const board = (o.board ?? {}) as Record<string, unknown>;
  c.string(board, "id"); c.string(board, "name");
  c.string(o, "port"); c.string(o, "model");
  c.int(o, "seed"); c.int(o, "batch");
  if (!Array.isArray(o.batches)) c.fail("batches", "an array");
  (o.batches as Record<string, unknown>[]).forEach((b, i) => {
    const at = `batches[${i}]`;
    if (typeof b !== "object" || b === null) c.fail(at, "an object");
    if (!Number.isInteger(b.id)) c.fail(`${at}.id`, "an integer");
    for (const k of ["device_digest", "emulator_digest"]) if (!/^[0-9a-f]{8}$/.test(String(b[k]))) c.fail(`${at}.${k}`, "8 hex digits");
    for (const k of ["device_loss", "emulator_loss", "device_correct", "emulator_correct"]) if (typeof b[k] !== "number") c.fail(`${at}.${k}`, "a number");
  });
  const d = o.first_divergence as Record<string, unknown> | null;
  if (d !== null && (typeof d !== "object" || !Number.isInteger(d.batch) || typeof d.tensor !== "string" || !Number.isInteger(d.index))) {
    c.fail("first_divergence", "null or { batch, tensor, index }");
  }
  if (o.identical !== (d === null)) c.fail("identical", "true exactly when first_divergence is null");
  return o as unknown as ValidateLog;
}
