/**
 * Timing of one reference training epoch on synthetic Fashion-MNIST-shaped data
 * (60,000 samples of 784 pixels, about half of them non-zero like Fashion-MNIST).
 * Not a test; run: node --import tsx bench/experiments/reference-epoch.ts [variant ...] [--sizes 784,256,10] [--count 60000]
 */
import { ReferenceMlp } from "../../host/reference/mlp.ts";
import { VARIANTS, type Variant } from "../../host/reference/options.ts";
import { Xorshift128 } from "../../host/reference/prng.ts";
import { defaultSchedule } from "../../host/reference/schedule.ts";
import { stepsPerEpoch, trainEpoch } from "../../host/reference/train.ts";

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(name);
  if (i < 0) return dflt;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
};
const sizes = opt("--sizes", "784,256,10").split(",").map(Number);
const count = Number(opt("--count", "60000"));
const density = Number(opt("--density", "0.5"));
const variants = (args.length ? args : VARIANTS) as Variant[];
const rng = new Xorshift128(42);
const f = sizes[0];
const images = new Uint8Array(count * f);
const labels = new Uint8Array(count);
for (let s = 0; s < count; s++) {
  labels[s] = rng.nextU32() % sizes[sizes.length - 1];
  for (let i = 0; i < f; i++) images[s * f + i] = rng.nextFloat() < density ? 1 + (rng.nextU32() % 255) : 0;
}
const data = { images, labels, count, features: f };
for (const variant of variants) {
  const m = new ReferenceMlp({ sizes, variant, batch: 32, seed: 1, ...defaultSchedule(variant), decaySteps: stepsPerEpoch(count, 32) });
  const r = trainEpoch(m, data, 1, 0);
  const t0 = performance.now();
  m.evaluate(images, labels, Math.min(count, 10000), "deterministic");
  const ev = (performance.now() - t0) / 1000;
  console.log(`${variant.padEnd(13)} ${sizes.join("-")} ${count} samples, density ${density}: ` +
    `train ${r.seconds.toFixed(2)} s/epoch, evaluate 10k ${ev.toFixed(2)} s`);
}
