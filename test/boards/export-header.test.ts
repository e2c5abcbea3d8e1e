// The C header of `fewmul export` compiles with the system C compiler (strict C99), two
// models can share a translation unit, and its predict function agrees with the host's
// reference inference and the device module's `predict` on the same samples.
// Its inference code has no multiplication: none in the Cortex-M3 code GCC makes of it.
// The same for a conv net's header (export format version 3), on all 2,000 held-out digits.
import test, { type ExecutionContext } from "ava";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mnistDigits } from "../../host/datasets/mnist-package.ts";
import { parseModelFile } from "../../host/export/model-file.ts";
import { exportModel } from "../../host/export/format.ts";
import { predict } from "../../host/export/infer.ts";
import { stateTensors } from "../../host/module/state-layout.ts";
import { devicePredictions, reseal, runMain, trainedModelBlob } from "../cli/helpers.ts";

const work = mkdtempSync(join(tmpdir(), "fewmul-export-c-"));
test.after.always(() => rmSync(work, { recursive: true, force: true }));

const SAMPLES = 400;

/**
 * A trained model with weights on the sign thresholds and wrapping statistics: a quarter of
 * the weights moved, the normalisation tensors overwritten (each with probability 1/statShare).
 */
function extremeBlob(spec: string, steps: number, seed: number, rngSeed: number, statShare: number): Uint8Array {
  const blob = trainedModelBlob(spec, steps, seed);
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  let x = rngSeed;
  const rnd = () => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), x >>> 0);
  for (const slot of stateTensors(blob)) {
    if (slot.name.endsWith(".weights")) {
      for (let i = 0; i < slot.count; i++) if (rnd() % 4 === 0) view.setInt16(slot.offset + 2 * i, [-8193, -8192, 8192, 8193, 0, -1][rnd() % 6], true);
    } else if (/\.(bias|running_mean|running_spread)$/.test(slot.name) && (statShare === 1 || rnd() % statShare === 0)) {
      for (let j = 0; j < slot.count; j++) view.setInt32(slot.offset + 4 * j, [() => (rnd() % 9) - 4, () => rnd() | 0, () => rnd() % 5000][rnd() % 3](), true);
    }
  }
  return reseal(blob);
}

/**
 * Exports every model's C header into `work`, compiles one strict-C99 program that includes
 * them all (plus the compile-time `checks`) and prints each one's prediction per 784-byte
 * sample; returns the predictions, one array per model, in the order of `models`.
 */
async function cPredictions(t: ExecutionContext, models: Record<string, Uint8Array>, checks: string, scratchBytes: number, images: Uint8Array): Promise<Uint8Array[]> {
  for (const [name, blob] of Object.entries(models)) {
    writeFileSync(join(work, `${name}.fewmul`), blob);
    const r = await runMain(["export", "--model-file", join(work, `${name}.fewmul`), "--out", join(work, name), "--json"]);
    t.is(r.code, 0, r.stderr);
  }
  const names = Object.keys(models);
  const program = names.join("-");
  const main = `#include <stdio.h>
${names.map((n) => `#include "${n}.h"`).join("\n")}

${checks}

int main(int argc, char **argv) {
  static uint8_t x[784], scratch[${scratchBytes}];
  FILE *f;
  if (argc != 2 || !(f = fopen(argv[1], "rb"))) return 2;
  while (fread(x, 1, sizeof x, f) == sizeof x) {
    printf(${JSON.stringify(names.map(() => "%d").join(" ") + "\n")}, ${names.map((n) => `${n}_predict(x, scratch)`).join(", ")});
  }
  fclose(f);
  return 0;
}
`;
  writeFileSync(join(work, `${program}.c`), main);
  const exe = join(work, program);
  execFileSync("cc", ["-std=c99", "-pedantic", "-Wall", "-Wextra", "-Werror", "-O2", "-o", exe, join(work, `${program}.c`)], { stdio: "pipe" });
  writeFileSync(join(work, `${program}.u8`), images);
  const lines = execFileSync(exe, [join(work, `${program}.u8`)], { encoding: "utf8", maxBuffer: 16 << 20 }).trim().split("\n");
  t.is(lines.length, images.length / 784);
  return names.map((_, column) => Uint8Array.from(lines, (l) => Number(l.split(" ")[column])));
}

test("the exported header compiles (C99, -Wall -Wextra -Werror) and predicts like the device", async (t) => {
  const models: Record<string, Uint8Array> = {
    tc: trainedModelBlob("784-64-10:tc,lr=2,lrend=6,decay=150", 150),
    bc: trainedModelBlob("784-32-10:bc,lr=4,lrend=6", 60, 2),
    deep: trainedModelBlob("784-32-16-10:tc", 60, 3),
    edge: extremeBlob("784-24-12-10:tc", 20, 9, 0x9e3779b9, 1),
  };
  const names = Object.keys(models);
  const checks = `${names.map((n) => `typedef char check_${n}_dims[(${n.toUpperCase()}_INPUTS == 784 && ${n.toUpperCase()}_OUTPUTS == 10 && ${n.toUpperCase()}_L0_IN == 784 && ${n.toUpperCase()}_L0_WORDS == 25) ? 1 : -1];`).join("\n")}
typedef char check_deep[(DEEP_LAYERS == 3 && DEEP_L1_IN == 32 && DEEP_L1_OUT == 16 && DEEP_L2_OUT == 10 && DEEP_SCRATCH_BYTES == 64) ? 1 : -1];
typedef char check_modes[(TC_MODE_TC == 1 && BC_MODE_TC == 0) ? 1 : -1];
typedef char check_sizes[(sizeof tc_l0_pos == 64 * 25 * 4 && sizeof tc_l0_neg == sizeof tc_l0_pos && sizeof tc_l1_k == 10) ? 1 : -1];`;
  const { test: held } = mnistDigits();
  const fromC = await cPredictions(t, models, checks, 256, held.images.subarray(0, SAMPLES * 784));
  names.forEach((name, column) => {
    const host = predict(exportModel(parseModelFile(models[name], name)), held.images, SAMPLES);
    const device = devicePredictions(models[name], held.images, held.labels, SAMPLES).predictions;
    t.deepEqual(fromC[column], device, `${name}: C vs device`);
    t.deepEqual(host, device, `${name}: host vs device`);
  });
});

test("the exported header's predict compiles to no multiply instruction for a Cortex-M3 (-O0, -O2, -Os), dense and conv", async (t) => {
  for (const [name, spec] of [["nomul", "784-32-16-10:tc"], ["nomulconv", "1x28x28-c4-p-c8-d16-10:bc,batch=8"]]) {
    writeFileSync(join(work, `${name}.fewmul`), trainedModelBlob(spec, 10, 3));
    const r = await runMain(["export", "--model-file", join(work, `${name}.fewmul`), "--out", join(work, name)]);
    t.is(r.code, 0, r.stderr);
    writeFileSync(join(work, `${name}.c`), `#include "${name}.h"\nint run(const uint8_t *x, uint8_t *s) { return ${name}_predict(x, s); }\n`);
    for (const opt of ["-O0", "-O2", "-Os"]) {
      const obj = join(work, `${name}${opt}.o`);
      execFileSync("arm-none-eabi-gcc", ["-std=c99", "-mcpu=cortex-m3", "-mthumb", opt, "-c", "-o", obj, join(work, `${name}.c`)], { stdio: "pipe" });
      const asm = execFileSync("arm-none-eabi-objdump", ["-d", obj], { encoding: "utf8" });
      t.true(asm.includes("<run>:"), "the disassembly holds the function");
      const muls = asm.split("\n").filter((l) => /\s(u|s)?(mul|mla|mls|mull|mlal)s?(\.w|\.n)?\s/i.test(l));
      t.deepEqual(muls, [], `${name} ${opt}: multiply instructions`);
    }
  }
});

test("a conv net's header (3x3 conv, 2x2 max pool, flatten, dense) compiles beside a dense one and predicts like the device on every test image", async (t) => {
  const models: Record<string, Uint8Array> = {
    ctc: trainedModelBlob("1x28x28-c4-p-c8-p-d16-10:tc,batch=8,lr=2,lrend=6,decay=300", 300),
    cbc: trainedModelBlob("1x28x28-c4-c6-p-10:bc,batch=4,lr=2,lrend=6,decay=200", 100, 2),
    cedge: extremeBlob("1x28x28-c4-p-c8-p-d16-10:tc,batch=8", 10, 4, 0x2545f491, 2),
    dense: trainedModelBlob("784-32-10:tc", 30),
  };
  const names = Object.keys(models);
  const checks = `typedef char check_ctc[(CTC_CONV_LAYERS == 2 && CTC_LAYERS == 4 && CTC_INPUTS == 784 && CTC_INPUT_HEIGHT == 28 && CTC_L1_IN == 36 && CTC_L1_POOL == 1 && CTC_L2_IN == 392) ? 1 : -1];
typedef char check_cbc[(CBC_CONV_LAYERS == 2 && CBC_L0_POOL == 0 && CBC_L2_IN == 1176 && CBC_MODE_TC == 0) ? 1 : -1];
/* two 28x28x4 conv outputs, two 16-unit hidden layers */
typedef char check_scratch[(CTC_SCRATCH_BYTES == 2 * 14 * 14 * 4 + 2 * 16 && CBC_SCRATCH_BYTES == 2 * 28 * 28 * 4 + 2) ? 1 : -1];`;
  const { test: held } = mnistDigits();
  const fromC = await cPredictions(t, models, checks, 8192, held.images);
  names.forEach((name, column) => {
    const c = fromC[column];
    const device = devicePredictions(models[name], held.images, held.labels, held.count).predictions;
    const first = c.findIndex((c, i) => c !== device[i]);
    t.is(first, -1, `${name}: image ${first}: C ${c[first]}, device ${device[first]}`);
    if (name === "ctc") {
      const right = c.filter((p, i) => p === held.labels[i]).length;
      t.log(`ctc: ${right} of ${held.count} test digits right in C and on the device`);
      t.true(right > 0.5 * held.count, `${right}`); // a real model (chance: 10 %)
    }
  });
});
