// `fewmul export`: the exported format, and host inference on it that agrees bit for bit
// with the device module's `predict` and `evaluate`.
import test from "ava";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { mnistDigits } from "../../host/datasets/mnist-package.ts";
import { parseModelFile } from "../../host/export/model-file.ts";
import { decodeExport, encodeExport, exportModel, unitScale, type ExportedModel } from "../../host/export/format.ts";
import { predict, scores } from "../../host/export/infer.ts";
import { crc32 } from "../../host/crc32.ts";
import { UserError } from "../../host/errors.ts";
import { stateTensors } from "../../host/module/state-layout.ts";
import { devicePredictions, reseal, runMain, tempDir, tmpFiles, trainedModelBlob } from "./helpers.ts";

const { test: held } = mnistDigits();

function correctPerBatch(p: Uint8Array, labels: Uint8Array, batch: number): number[] {
  const out: number[] = [];
  for (let at = 0; at < p.length; at += batch) {
    let c = 0;
    for (let s = at; s < Math.min(at + batch, p.length); s++) if (p[s] === labels[s]) c++;
    out.push(c);
  }
  return out;
}

/** Host inference on the decoded .bin equals the device's, sample by sample. */
function assertSameAsDevice(t: any, blob: Uint8Array, count = held.count): ExportedModel {
  const model = parseModelFile(blob, "model");
  const exported = decodeExport(encodeExport(exportModel(model)), "model.bin");
  const device = devicePredictions(blob, held.images, held.labels, count);
  const host = predict(exported, held.images, count);
  const firstDiff = host.findIndex((c, i) => c !== device.predictions[i]);
  t.is(firstDiff, -1, `sample ${firstDiff}: host ${host[firstDiff]}, device ${device.predictions[firstDiff]}`);
  t.deepEqual(correctPerBatch(host, held.labels, model.spec.batch), device.correct);
  return exported;
}

test("unit scale mul · 2^-k ~ 1/(1.25 spread), as the module computes it (int32 wrap-around included)", (t) => {
  // see test/kernels/norm.test.ts for the derivation of each case
  const cases: [number, number, number][] = [[-5, 4, 16], [0, 4, 16], [1, 4, 16], [2, 5, 15], [10, 7, 10], [375, 12, 9], [2 ** 31 - 1, 4, 16]];
  for (const [spread, k, mul] of cases) t.deepEqual(unitScale(spread), { k, mul }, `spread ${spread}`);
});

test("TC 784-64-10: exported inference equals the device's predict and evaluate on the test split", (t) => {
  const blob = trainedModelBlob("784-64-10:tc,lr=2,lrend=6,decay=200", 200);
  const m = assertSameAsDevice(t, blob);
  const predicted = predict(m, held.images, held.count);
  const accuracy = predicted.filter((c, i) => c === held.labels[i]).length / held.count;
  // a real model, not a constant class (seeds 1-4 give 0.58-0.74 after these 300 steps)
  t.true(accuracy > 0.5, `accuracy ${accuracy}`);
  t.true(new Set(predicted).size === 10);
});

test("BC and a deeper TC model agree with the device too", (t) => {
  assertSameAsDevice(t, trainedModelBlob("784-32-10:bc,lr=4,lrend=6", 60), 1000);
  assertSameAsDevice(t, trainedModelBlob("784-32-16-10:tc", 60, 3), 1000);
});

test("bit-exact on every boundary: weights at ±2^13 and 0, random statistics and biases (int32 wrap-around)", (t) => {
  let x = 0x2545f491;
  const rnd = () => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), x >>> 0);
  const pick = (choices: (() => number)[]) => choices[rnd() % choices.length]();
  for (const spec of ["784-24-12-10:tc", "784-24-12-10:bc"]) {
    const blob = trainedModelBlob(spec, 20, 5);
    const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
    // round 0: weights only (trained statistics keep the outputs sensitive to them);
    // round 1: statistics and biases only; round 2: both.
    for (let round = 0; round < 3; round++) {
      for (const slot of stateTensors(blob)) {
        if (slot.name.endsWith(".weights") && round !== 1) {
          // the deterministic sign's thresholds: TC |w| > 2^13, BC w >= 0
          const edges = [-8193, -8192, -8191, -1, 0, 1, 8191, 8192, 8193];
          for (let i = 0; i < slot.count; i++) if (rnd() % 4 === 0) view.setInt16(slot.offset + 2 * i, edges[rnd() % edges.length], true);
        } else if (/\.(bias|running_mean|running_spread)$/.test(slot.name) && round !== 0) {
          for (let j = 0; j < slot.count; j++) {
            view.setInt32(slot.offset + 4 * j, pick([
              () => (rnd() % 9) - 4, // tiny: k = 0, F - k >= 0 (a left shift)
              () => rnd() % 4096,
              () => (rnd() % (1 << 21)) - (1 << 20),
              () => rnd() | 0, // anything: int32 wrap-around
              () => (rnd() & 1 ? 2 ** 31 - 1 - (rnd() % 8) : -(2 ** 31) + (rnd() % 8)),
            ]), true);
          }
        }
      }
      reseal(blob);
      const exported = assertSameAsDevice(t, blob, 300);
      if (round > 0) t.true(exported.layers.some((l) => Array.from(l.k).some((k) => k <= l.shift)), "some unit shifts left");
    }
  }
});

test("the .bin round-trips and packs 1 bit per BC weight, 2 per TC weight", (t) => {
  for (const spec of ["784-40-10:tc", "784-40-10:bc", "100-33-7:tc"]) {
    const blob = trainedModelBlob(spec.startsWith("100") ? spec : spec, 0);
    const m = exportModel(parseModelFile(blob, "m"));
    const bin = encodeExport(m);
    t.deepEqual(decodeExport(bin, "m.bin"), m);
    const planes = m.mode === "tc" ? 2 : 1;
    const weightBytes = m.layers.reduce((a, l) => a + 4 * l.nOut * Math.ceil(l.nIn / 32) * planes, 0);
    const perUnit = m.layers.reduce((a, l) => a + 8 * l.nOut + ((2 * l.nOut + 3) & ~3), 0);
    t.is(bin.length, 32 + ((2 * m.sizes.length + 3) & ~3) + weightBytes + perUnit, spec);
    // every flipped byte is caught by the CRC (or the header checks)
    for (const at of [0, 5, 12, 16, 40, bin.length - 1]) {
      const bad = bin.slice();
      bad[at] ^= 0x10;
      t.throws(() => decodeExport(bad, "m.bin"), { instanceOf: UserError, message: /^m\.bin: / });
    }
  }
});

test.serial("fewmul export writes BASE.bin and BASE.h atomically and reports them", async (t) => {
  const dir = tempDir(t);
  const blob = trainedModelBlob("784-32-10:tc", 10);
  const file = join(dir, "trained.fewmul");
  writeFileSync(file, blob);
  const r = await runMain(["export", "--model-file", file, "--out", join(dir, "out", "mnist-32"), "--json"]);
  t.is(r.code, 0, r.stderr);
  const result = JSON.parse(r.stdout);
  t.is(result.bin, join(dir, "out", "mnist-32.bin"));
  t.is(result.header, join(dir, "out", "mnist-32.h"));
  t.is(result.model, "784-32-10:tc");
  t.is(result.state_digest, parseModelFile(blob, file).digest.toString(16).padStart(8, "0"));
  const bin = new Uint8Array(readFileSync(result.bin));
  t.is(result.bytes, bin.length);
  t.deepEqual(decodeExport(bin, result.bin), exportModel(parseModelFile(blob, file)));
  const header = readFileSync(result.header, "utf8");
  t.regex(header, /#define MNIST_32_L0_IN 784\n/);
  t.regex(header, /static const uint32_t mnist_32_l0_neg\[800\]/);
  t.regex(header, /static inline int mnist_32_predict\(const uint8_t \*x, uint8_t \*scratch\)/);
  t.deepEqual(tmpFiles(dir), []);
  t.false(existsSync(join(dir, "out", "mnist-32")));
});

// Conv nets (export format version 3): two shapes of net, TC with pools and a hidden dense
// layer, BC with an unpooled conv feeding a conv and a conv feeding the output layer.
const CONV_TC = "1x28x28-c4-p-c8-p-d16-10:tc,batch=8,lr=2,lrend=6,decay=300";
const CONV_BC = "1x28x28-c4-c6-p-10:bc,batch=4,lr=2,lrend=6,decay=200";

/** Host inference on the decoded .bin equals the device's predictions, correct counts and int32 output scores. */
function assertConvSameAsDevice(t: any, blob: Uint8Array, count: number): ExportedModel {
  const exported = assertSameAsDevice(t, blob, count);
  const classes = exported.sizes[exported.sizes.length - 1], f = exported.sizes[0];
  const device = devicePredictions(blob, held.images, held.labels, count).scores;
  const host = new Int32Array(count * classes);
  for (let s = 0; s < count; s++) host.set(scores(exported, held.images.subarray(s * f, (s + 1) * f)), s * classes);
  const firstDiff = host.findIndex((v, i) => v !== device[i]);
  t.is(firstDiff, -1, `score ${firstDiff}: host ${host[firstDiff]}, device ${device[firstDiff]}`);
  return exported;
}

test("conv nets: exported inference equals the device's predict, evaluate and output scores", (t) => {
  const m = assertConvSameAsDevice(t, trainedModelBlob(CONV_TC, 300), 1000);
  t.is(m.layers.filter((l) => l.conv).length, 2);
  t.deepEqual(m.layers.map((l) => l.nIn), [9, 36, 7 * 7 * 8, 16]);
  const predicted = predict(m, held.images, 1000);
  const accuracy = predicted.filter((c, i) => c === held.labels[i]).length / 1000;
  // a real model, not a constant class (seeds 1-4 give 0.58-0.74 after these 300 steps)
  t.true(accuracy > 0.5, `accuracy ${accuracy}`);
  t.true(new Set(predicted).size >= 8, `${new Set(predicted).size} classes predicted`);
  const bc = assertConvSameAsDevice(t, trainedModelBlob(CONV_BC, 100, 2), 400);
  t.deepEqual(bc.layers.map((l) => [l.nIn, l.conv?.pool]), [[9, false], [36, true], [14 * 14 * 6, undefined]]);
});

test("conv nets: bit-exact on the weight thresholds and with random statistics and biases (int32 wrap-around)", (t) => {
  let x = 0x6c8e9cf5;
  const rnd = () => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), x >>> 0);
  for (const spec of ["1x28x28-c4-p-c8-p-d16-10:tc,batch=8", "1x28x28-c4-c6-p-10:bc,batch=4"]) {
    const blob = trainedModelBlob(spec, 10, 5);
    const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
    for (const slot of stateTensors(blob)) {
      if (slot.name.endsWith(".weights")) {
        const edges = [-8193, -8192, -8191, -1, 0, 1, 8191, 8192, 8193];
        for (let i = 0; i < slot.count; i++) if (rnd() % 4 === 0) view.setInt16(slot.offset + 2 * i, edges[rnd() % edges.length], true);
      } else if (/\.(bias|running_mean|running_spread)$/.test(slot.name) && rnd() % 2 === 0) {
        // one tensor in two: the other keeps trained values, so the activations stay varied
        for (let j = 0; j < slot.count; j++) view.setInt32(slot.offset + 4 * j, [() => (rnd() % 9) - 4, () => rnd() | 0, () => rnd() % 5000][rnd() % 3](), true);
      }
    }
    reseal(blob);
    assertConvSameAsDevice(t, blob, 200);
  }
});

test("a conv net's .bin is version 3: input shape, conv layers and pools in the header, round-trips, checked", (t) => {
  const blob = trainedModelBlob("1x28x28-c4-p-c8-d16-10:tc,batch=8", 2);
  const m = exportModel(parseModelFile(blob, "m"));
  const bin = encodeExport(m);
  t.deepEqual(decodeExport(bin, "m.bin"), m);
  const v = new DataView(bin.buffer);
  t.is(v.getUint16(4, true), 3);
  t.deepEqual([...bin.subarray(26, 32)], [1, 28, 28, 2, 0b01, 0]);
  t.deepEqual(m.sizes, [784, 4, 8, 16, 10]);
  t.deepEqual(m.shape, { channels: 1, height: 28, width: 28 });
  t.deepEqual(m.layers.map((l) => l.conv), [{ height: 28, width: 28, cin: 1, pool: true }, { height: 14, width: 14, cin: 4, pool: false }, undefined, undefined]);
  // weights 2 bits each rounded up to words per unit (conv: 9·cin patch values), 10 bytes per unit
  const weightBytes = m.layers.reduce((a, l) => a + 8 * l.nOut * Math.ceil(l.nIn / 32), 0);
  const perUnit = m.layers.reduce((a, l) => a + 8 * l.nOut + ((2 * l.nOut + 3) & ~3), 0);
  t.is(bin.length, 32 + 12 + weightBytes + perUnit);
  t.is(m.layers[2].nIn, 14 * 14 * 8);
  // a header field that contradicts the rest is refused by name, even with a correct CRC
  const resealed = (at: number, value: number) => {
    const bad = bin.slice();
    bad[at] = value;
    new DataView(bad.buffer).setUint32(12, crc32(bad.subarray(16)), true);
    return bad;
  };
  t.throws(() => decodeExport(resealed(27, 27), "m.bin"), { instanceOf: UserError, message: /^m\.bin: input shape 1x27x28 does not match its 784 inputs$/ });
  t.throws(() => decodeExport(resealed(29, 4), "m.bin"), { instanceOf: UserError, message: /^m\.bin: bad conv layer count 4/ });
  t.throws(() => decodeExport(resealed(30, 0b100), "m.bin"), { instanceOf: UserError, message: /pool mask 4/ });
  t.throws(() => decodeExport(resealed(29, 1), "m.bin"), { instanceOf: UserError, message: /do not match the file length/ });
  t.throws(() => decodeExport(resealed(4, 4), "m.bin"), { instanceOf: UserError, message: /version 4 is not supported/ });
});
