/**
 * SVHN "cropped digits" as distributed (train_32x32.mat, test_32x32.mat): X is uint8
 * 32x32x3xN in MATLAB's column-major order, y is N×1 with labels 1..10 where 10 means
 * the digit 0. We return samples flattened in HWC order (row, column, channel).
 */
import { readUserFile } from "../files.ts";
import { basename } from "node:path";
import { UserError } from "../errors.ts";
import type { Dataset } from "./dataset.ts";
import { type MatArray, readMat } from "./mat5.ts";

/** Read an SVHN .mat file into a Dataset (labels 0..9). */
export function readSvhnMat(path: string): Dataset {
  const bytes = readUserFile(path, "E_DATASET");
  return svhnFromMat(readMat(bytes, path, ["X", "y"]), path, `svhn/${basename(path, ".mat")}`);
}

/** Check X and y and convert them; `file` names the source in error messages. */
export function svhnFromMat(vars: Map<string, MatArray>, file: string, name: string): Dataset {
  const fail: (why: string) => never = (why) => {
    throw new UserError(`${file}: ${why}`, "E_DATASET");
  };
  const X = vars.get("X") ?? fail("no variable 'X' (expected uint8 32x32x3xN images)");
  const y = vars.get("y") ?? fail("no variable 'y' (expected N×1 labels 1..10)");
  // MATLAB drops a trailing singleton dimension, so a single image is 32x32x3.
  const [height, width, channels, count = 1] = X.dims;
  if (X.class !== "uint8" || X.dims.length < 3 || X.dims.length > 4) {
    fail(`X is ${X.class} ${X.dims.join("x")}, expected uint8 32x32x3xN`);
  }
  if (y.data.length !== count) fail(`y has ${y.data.length} labels but X has ${count} images`);

  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const v = y.data[i];
    if (!Number.isInteger(v) || v < 1 || v > 10) fail(`y[${i}] = ${v} is outside the labels 1..10`);
    labels[i] = v % 10; // 10 means the digit 0
  }

  // Column-major X(r, c, ch, n) is at r + H*(c + W*(ch + C*n)); walk it in that order.
  const features = height * width * channels;
  const images = new Uint8Array(count * features);
  const src = X.data;
  let s = 0;
  for (let n = 0; n < count; n++) {
    const base = n * features;
    for (let ch = 0; ch < channels; ch++) {
      for (let c = 0; c < width; c++) {
        for (let r = 0; r < height; r++) images[base + (r * width + c) * channels + ch] = src[s++];
      }
    }
  }
  return { name, images, labels, count, features, width, height, channels, shape: [channels, height, width], classes: 10 };
}
