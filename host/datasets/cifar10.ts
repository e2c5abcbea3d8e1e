/**
 * CIFAR-10 in its binary distribution (cifar-10-binary.tar.gz, extracted): train =
 * data_batch_1.bin … data_batch_5.bin, test = test_batch.bin. Each file is a run of
 * 3,073-byte records: 1 label byte (0..9), then 1,024 red, 1,024 green and 1,024 blue
 * pixels, each plane row-major 32x32. We return samples in HWC order (row, column,
 * channel) like every other reader. Problems are one-line UserErrors "<file>: <reason>".
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../errors.ts";
import type { Dataset } from "./dataset.ts";

const SIDE = 32;
const PLANE = SIDE * SIDE;
const CHANNELS = 3;
const FEATURES = PLANE * CHANNELS;
const RECORD = 1 + FEATURES;

export const CIFAR10_TRAIN_FILES = [1, 2, 3, 4, 5].map((k) => `data_batch_${k}.bin`);
export const CIFAR10_TEST_FILES = ["test_batch.bin"];
/** The directory the distribution's tarball extracts to, looked for inside --data too. */
const TAR_DIR = "cifar-10-batches-bin";

function fail(file: string, reason: string): never {
  throw new UserError(`${file}: ${reason}`, "E_DATASET");
}

function readBytes(file: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    fail(file, code === "ENOENT" ? "file not found" : `cannot read (${code ?? (e as Error).message})`);
  }
}

/** Check one file's records; returns how many it holds. */
function checkRecords(bytes: Uint8Array, file: string): number {
  if (bytes.length === 0) fail(file, "empty: expected records of 3073 bytes (1 label + 3072 pixels)");
  if (bytes.length % RECORD !== 0) {
    fail(file, `${bytes.length} bytes is not a whole number of 3073-byte records (${bytes.length % RECORD} bytes left over)`);
  }
  const count = bytes.length / RECORD;
  for (let n = 0; n < count; n++) {
    const label = bytes[n * RECORD];
    if (label > 9) fail(file, `label ${label} of record ${n} is out of range 0..9`);
  }
  return count;
}

/** Read CIFAR-10 binary files, concatenated in the order given, into one Dataset. */
export function readCifar10Files(files: readonly string[], name: string): Dataset {
  const parts = files.map((f) => {
    const bytes = readBytes(f);
    return { bytes, count: checkRecords(bytes, f) };
  });
  const count = parts.reduce((s, p) => s + p.count, 0);
  const images = new Uint8Array(count * FEATURES);
  const labels = new Uint8Array(count);
  let n = 0;
  for (const { bytes, count: k } of parts) {
    for (let r = 0; r < k; r++, n++) {
      const rec = r * RECORD;
      labels[n] = bytes[rec];
      // Planar CHW source → HWC: pixel p of plane ch goes to p * 3 + ch.
      const out = n * FEATURES;
      for (let ch = 0; ch < CHANNELS; ch++) {
        const src = rec + 1 + ch * PLANE;
        for (let p = 0, o = out + ch; p < PLANE; p++, o += CHANNELS) images[o] = bytes[src + p];
      }
    }
  }
  return {
    name, images, labels, count, features: FEATURES,
    width: SIDE, height: SIDE, channels: CHANNELS, shape: [CHANNELS, SIDE, SIDE], classes: 10,
  };
}

/**
 * The train or test split from `dir`: the directory holding the .bin files, or the one
 * the tarball was extracted into (it then holds cifar-10-batches-bin/).
 */
export function readCifar10Dir(dir: string, split: "train" | "test"): Dataset {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) fail(dir, "directory not found");
  const names = split === "train" ? CIFAR10_TRAIN_FILES : CIFAR10_TEST_FILES;
  const nested = join(dir, TAR_DIR);
  const root = !existsSync(join(dir, names[0])) && existsSync(join(nested, names[0])) ? nested : dir;
  const missing = names.filter((f) => !existsSync(join(root, f)));
  if (missing.length > 0) {
    fail(root, `missing ${missing.join(", ")} (CIFAR-10 binary version: data_batch_1.bin … data_batch_5.bin, test_batch.bin)`);
  }
  return readCifar10Files(names.map((f) => join(root, f)), `cifar10/${split}`);
}
