/**
 * MNIST-format IDX files: magic 00 00 <dtype> <ndims>, then ndims big-endian uint32
 * dimensions, then the data. We read labels (0x00000801, N) and images (0x00000803,
 * N x rows x cols), plain or gzipped (detected by the 1f 8b magic, not the name).
 * Every problem with a file is a one-line UserError "<file>: <reason>".
 */
import { existsSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { gunzipSync } from "node:zlib";
import { UserError } from "../errors.ts";
import { readUserFile } from "../files.ts";
import type { Dataset } from "./dataset.ts";

/** Where Debian's package dataset-fashion-mnist installs the four .gz files. */
export const FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist";

const DTYPES: Record<number, string> = {
  0x08: "unsigned byte", 0x09: "signed byte", 0x0b: "short", 0x0c: "int", 0x0d: "float", 0x0e: "double",
};

function fail(file: string, reason: string): never {
  throw new UserError(`${file}: ${reason}`, "E_DATASET");
}

const hex = (n: number) => "0x" + n.toString(16).padStart(8, "0");

/** The file's bytes, gunzipped when they start with the gzip magic. */
export function readMaybeGzip(file: string): Uint8Array {
  const raw = readUserFile(file, "E_DATASET");
  if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      return gunzipSync(raw);
    } catch (e) {
      fail(file, `corrupt gzip (${(e as Error).message})`);
    }
  }
  return raw;
}

interface Idx { dims: number[]; data: Uint8Array }

/** Parse an unsigned-byte IDX file: ndims 1 = labels (0x00000801), 3 = images (0x00000803). */
export function parseIdx(bytes: Uint8Array, file: string, ndims: 1 | 3): Idx {
  const expectMagic = 0x800 | ndims;
  const what = ndims === 1 ? "labels" : "images";
  if (bytes.length < 4) fail(file, `truncated: ${bytes.length} bytes, too short for an IDX header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  if (bytes[0] !== 0 || bytes[1] !== 0) fail(file, `bad magic ${hex(magic)}: not an IDX file`);
  if (bytes[2] !== 0x08) {
    fail(file, `wrong dtype 0x${bytes[2].toString(16).padStart(2, "0")} (${DTYPES[bytes[2]] ?? "unknown"}), expected 0x08 (unsigned byte)`);
  }
  if (bytes[3] !== ndims) {
    fail(file, `bad magic ${hex(magic)}: expected ${hex(expectMagic)} (${what}, ${ndims} dimension${ndims > 1 ? "s" : ""}) but it has ${bytes[3]}`);
  }
  const headerLen = 4 + 4 * ndims;
  if (bytes.length < headerLen) fail(file, `truncated: header needs ${headerLen} bytes but the file has ${bytes.length}`);
  const dims = Array.from({ length: ndims }, (_, i) => view.getUint32(4 + 4 * i));
  const size = dims.reduce((a, b) => a * b, 1);
  const remain = bytes.length - headerLen;
  const says = ndims === 1 ? `${dims[0]} labels` : `${dims[0]} images of ${dims[1]}x${dims[2]}`;
  if (remain < size) fail(file, `truncated: header says ${says} (${size} bytes) but ${remain} remain`);
  if (remain > size) fail(file, `${remain - size} unexpected bytes after the ${says} the header announces`);
  return { dims, data: bytes.subarray(headerLen) };
}

/** An images file and its labels file → Dataset (10 classes, labels 0..9). */
export function readIdxPair(imagesPath: string, labelsPath: string, name = basename(imagesPath)): Dataset {
  const img = parseIdx(readMaybeGzip(imagesPath), imagesPath, 3);
  const lab = parseIdx(readMaybeGzip(labelsPath), labelsPath, 1);
  const [count, height, width] = img.dims;
  if (lab.dims[0] !== count) {
    fail(labelsPath, `has ${lab.dims[0]} labels but ${basename(imagesPath)} has ${count} images`);
  }
  const bad = lab.data.findIndex((l) => l > 9);
  if (bad >= 0) fail(labelsPath, `label ${lab.data[bad]} at index ${bad} is out of range 0..9`);
  return {
    name, images: img.data, labels: lab.data, count, features: width * height,
    width, height, channels: 1, shape: [1, height, width], classes: 10,
  };
}

/** The first existing file among the standard spellings (hyphen or dot, plain or .gz). */
function findIdx(dir: string, prefix: string, kind: "images" | "labels"): string {
  const stem = kind === "images" ? "images-idx3-ubyte" : "labels-idx1-ubyte";
  const names = [`${prefix}-${stem}`, `${prefix}-${stem.replace("-", ".")}`].flatMap((n) => [n, `${n}.gz`]);
  for (const n of names) if (existsSync(join(dir, n))) return join(dir, n);
  fail(dir, `no ${prefix}-${stem}[.gz] in this directory`);
}

/** The standard MNIST file names in `dir`: train-* or t10k-*. */
export function readIdxDir(dir: string, split: "train" | "test"): Dataset {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) fail(dir, "directory not found");
  const prefix = split === "train" ? "train" : "t10k";
  return readIdxPair(findIdx(dir, prefix, "images"), findIdx(dir, prefix, "labels"), `${basename(dir)}/${split}`);
}

/** Debian's Fashion-MNIST directory, or a UserError telling how to get it. */
export function fashionMnistDir(dir = FASHION_MNIST_DIR): string {
  if (!existsSync(dir)) {
    throw new UserError(
      `Fashion-MNIST not found at ${dir}: run \`apt-get install dataset-fashion-mnist\` (or pass --data DIR)`,
      "E_DATASET",
    );
  }
  return dir;
}
