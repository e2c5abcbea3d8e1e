// npm run bench:cost [-- --json] [-- --quick]
// Multiplications executed per training sample (counted on instrumented copies of the
// compiled modules), training throughput in Node of the integer module, the float32 module
// (same network, same compiler) and TensorFlow.js, module size, and linear memory per model;
// then the same for a small CNN (1x28x28-c8-p-c16-p-d64-10, batch 8): integer module against
// the float32 module's conv path (no TensorFlow.js row for it).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { countingModule, inspectModule } from "../host/module/inspect.ts";
import { DeviceModel } from "../host/module/device-model.ts";
import { RELEASE_MODULE } from "../host/module/loader.ts";
import { parseSpec } from "../host/module/spec.ts";
import { parseModelSpec } from "../host/module/conv-spec.ts";
import { mnistDigits } from "../host/datasets/mnist-package.ts";
import { epochBatches } from "../host/training/batches.ts";
import { json, quick, say } from "./lib/args.ts";
import { tfjsBackend, tfjsSamplesPerSecond } from "./lib/tfjs-mlp.ts";

const FLOAT_MODULE = fileURLToPath(new URL("../build/fewmul-float32.wasm", import.meta.url));
const ARCH = "784-256-10";
const BATCH = 32;
const INT_SPEC = parseSpec(`${ARCH}:tc,batch=${BATCH}`);
const FLOAT_SPEC = parseSpec(`${ARCH},batch=${BATCH},lr=3,lrend=8`);

const { train } = mnistDigits();
const batches = [...epochBatches(train, BATCH, 7, 0)];
const steps = quick ? 40 : batches.length;

/** Multiplications per training sample over the first n steps of `from`. */
function mulsPerSample(path: string, spec = INT_SPEC, from = batches, n = 8): number {
  const m = new DeviceModel({ wasm: countingModule(readFileSync(path)) });
  m.init(spec, 1);
  const before = m.mod.exports.__muls_get() >>> 0;
  for (let s = 0; s < n; s++) m.train(from[s].images, from[s].labels);
  return ((m.mod.exports.__muls_get() >>> 0) - before) / (n * spec.batch);
}

/**
 * Steady-state throughput: each run compiles its module afresh, and V8 runs its first steps on
 * the baseline compiler until the optimised code is in (the integer module's larger functions
 * take longer: its steps 1-5 ran at about half speed, the float32 module's at 80 %, and both
 * settle by step 20), so WARM_UP steps go first, untimed.
 */
const WARM_UP = quick ? 2 : 20;
function samplesPerSecond(path: string, spec: typeof INT_SPEC, from = batches, count = steps): number {
  const m = new DeviceModel({ path });
  m.init(spec, 1);
  for (let s = 0; s < WARM_UP; s++) m.train(from[s].images, from[s].labels);
  const t0 = performance.now();
  for (let s = 0; s < count; s++) m.train(from[s].images, from[s].labels);
  return (count * spec.batch) / ((performance.now() - t0) / 1000);
}

const muls = { int: mulsPerSample(RELEASE_MODULE), float32: mulsPerSample(FLOAT_MODULE, FLOAT_SPEC) };
say(`multiplications per training sample (${ARCH}, batch ${BATCH}): int ${muls.int}, float32 ${Math.round(muls.float32)}`);

// Interleaved rounds so that machine load affects every trainer alike, the order alternating
// round by round. The VM's speed drifts between rounds (1.6x apart within a minute here) more
// than between the runs of one round, so a ratio is the median of the rounds' own ratios; the
// samples/s are each trainer's median.
const backend = await tfjsBackend();
const allImages = new Uint8Array(steps * BATCH * 784), allLabels = new Uint8Array(steps * BATCH);
for (let s = 0; s < steps; s++) { allImages.set(batches[s].images, s * BATCH * 784); allLabels.set(batches[s].labels, s * BATCH); }
const rounds = quick ? 1 : 5;
const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];
/** Median of a[r] / b[r]. */
const pairedRatio = (a: number[], b: number[]) => median(a.map((x, r) => x / b[r]));
/** Runs round r's trainers one after the other, in reverse order on odd rounds. */
const inTurn = (r: number, ...runs: Array<() => unknown>) => (r % 2 ? runs.reverse() : runs).forEach((run) => run());
const runs: { int: number[]; float32: number[]; tfjs: number[] } = { int: [], float32: [], tfjs: [] };
for (let r = 0; r < rounds; r++) {
  inTurn(r, () => runs.int.push(samplesPerSecond(RELEASE_MODULE, INT_SPEC)), () => runs.float32.push(samplesPerSecond(FLOAT_MODULE, FLOAT_SPEC)));
  runs.tfjs.push(await tfjsSamplesPerSecond([784, 256, 10], BATCH, allImages, allLabels, Math.min(steps, quick ? 20 : 100)));
}
const sps = { int: Math.round(median(runs.int)), float32: Math.round(median(runs.float32)), tfjs: Math.round(median(runs.tfjs)) };
const ratios = { int_over_float32: pairedRatio(runs.int, runs.float32), int_over_tfjs: pairedRatio(runs.int, runs.tfjs) };
say(`training samples/s in Node (${ARCH}, batch ${BATCH}): int ${sps.int}, float32 module ${sps.float32}, TensorFlow.js (${backend}) ${sps.tfjs}`);
say(`  ratios (median of ${rounds} rounds' own): int/float32 ${ratios.int_over_float32.toFixed(2)}x (rounds ${runs.int.map((x, r) => (x / runs.float32[r]).toFixed(2)).join(", ")}), int/tfjs ${ratios.int_over_tfjs.toFixed(2)}x`);

const report = inspectModule(readFileSync(RELEASE_MODULE));
const memory: Record<string, number> = {};
for (const arch of ["784-128-10", "784-256-10"]) {
  for (const mode of ["bc", "tc"]) memory[`${arch}:${mode}`] = new DeviceModel().requiredBytes(parseSpec(`${arch}:${mode},batch=32`));
  memory[arch] = memory[`${arch}:bc`];
}
say(`release module: ${report.bytes} bytes; linear memory at batch 32: ${Object.entries(memory).map(([k, v]) => `${k} ${v}`).join(", ")}`);

// The conv net: multiplications counted as above, samples/s of both modules interleaved.
const CONV_ARCH = "1x28x28-c8-p-c16-p-d64-10", CONV_BATCH = 8;
const convInt = parseModelSpec(`${CONV_ARCH}:tc,batch=${CONV_BATCH}`), convFloat = parseModelSpec(`${CONV_ARCH},batch=${CONV_BATCH},lr=3,lrend=8`);
const convBatches = [...epochBatches(train, CONV_BATCH, 7, 0)];
const convSteps = quick ? 10 : 100;
const conv = {
  multiplications_per_sample: { int: mulsPerSample(RELEASE_MODULE, convInt, convBatches, 4), float32: Math.round(mulsPerSample(FLOAT_MODULE, convFloat, convBatches, 4)) },
  samples_per_s: { int: 0, float32: 0 },
  ratios: { int_over_float32: 0 },
  memory_bytes: { int: new DeviceModel().requiredBytes(convInt), float32: new DeviceModel({ path: FLOAT_MODULE }).requiredBytes(convFloat) },
  arch: CONV_ARCH, batch: CONV_BATCH, steps: convSteps,
};
say(`conv ${CONV_ARCH}, batch ${CONV_BATCH}: multiplications per training sample int ${conv.multiplications_per_sample.int}, float32 module ${conv.multiplications_per_sample.float32}`);
const convRuns: { int: number[]; float32: number[] } = { int: [], float32: [] };
for (let r = 0; r < rounds; r++) {
  inTurn(r, () => convRuns.int.push(samplesPerSecond(RELEASE_MODULE, convInt, convBatches, convSteps)),
    () => convRuns.float32.push(samplesPerSecond(FLOAT_MODULE, convFloat, convBatches, convSteps)));
}
conv.samples_per_s = { int: Math.round(median(convRuns.int)), float32: Math.round(median(convRuns.float32)) };
conv.ratios.int_over_float32 = pairedRatio(convRuns.int, convRuns.float32);
say(`  training samples/s in Node: int ${conv.samples_per_s.int}, float32 module ${conv.samples_per_s.float32}: int/float32 ${conv.ratios.int_over_float32.toFixed(2)}x; ` +
  `linear memory int ${conv.memory_bytes.int}, float32 ${conv.memory_bytes.float32}`);

if (json) {
  process.stdout.write(`${JSON.stringify({
    multiplications_per_sample: muls,
    samples_per_s: sps,
    ratios: { ...ratios, muls_int_over_float32: muls.int / muls.float32 },
    tfjs_backend: backend,
    module_bytes: report.bytes,
    memory_bytes: { "784-128-10": memory["784-128-10"], "784-256-10": memory["784-256-10"] },
    memory_bytes_by_mode: memory,
    arch: ARCH, batch: BATCH, steps,
    conv,
  })}\n`);
}
