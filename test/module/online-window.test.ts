/**
 * The online statistics' window (docs/model-format.md step 4): below batch 8 the running means
 * move by 2^-R, R = min(4 - b, floor(log2(step + 1))) + E, E = 0, or for a layer with 2^11
 * inputs or more the rate's whole halvings so far, up to 2. Observed as in rate-boost.test.ts:
 * a layer whose extra inputs are all zero computes the same z and draws the same randoms as
 * the layer without them, so its running statistics move alike exactly while R is the same.
 */
import test from "ava";
import type { DeviceModel } from "../../host/module/device-model.ts";
import { arenaTensors } from "../../host/module/arena.ts";
import { A_MEAN, A_ONLINE } from "../../assembly/shared/arena.ts";
import { twinModels } from "./twin-layers.ts";

const CLASSES = 2, BATCH = 4, USED = 300;
const USED_BYTES = 2 * USED * CLASSES; // int16 w[input][output]: the used inputs' rows come first

// The rate halves every 2 steps: 2^-2, then 2^-2.5, 2^-3 at step 2, 2^-4 at step 4, ...
const HALVING_EVERY_2_STEPS = "lr=2,lrend=8,decay=12";

/** The running means and online error terms of the layer, as bytes. */
function statistics(m: DeviceModel): Uint8Array {
  const at = (tensor: number) => arenaTensors(m.spec).find((x) => x.tensor === tensor)!;
  const mean = at(A_MEAN), online = at(A_ONLINE);
  const base = m.mod.exports.state_ptr();
  return Uint8Array.from([...m.mod.mem.read(base + mean.offset, mean.bytes), ...m.mod.mem.read(base + online.offset, online.bytes)]);
}

/** For each of `steps` steps, whether layers of `small` and `large` inputs, started alike, hold the same statistics after it. */
function sameStatistics(small: number, large: number, steps: number, schedule = HALVING_EVERY_2_STEPS): boolean[] {
  const [a, b] = twinModels(small, large, `${CLASSES}:tc,batch=${BATCH},fixed=1,${schedule}`, USED_BYTES);
  const same: boolean[] = [];
  for (let s = 0; s < steps; s++) {
    for (const [m, inputs] of [[a, small], [b, large]] as const) {
      const images = new Uint8Array(BATCH * inputs), labels = new Uint8Array(BATCH);
      for (let k = 0; k < BATCH; k++) {
        labels[k] = (k + s) & 1;
        for (let i = 0; i < USED; i++) images[k * inputs + i] = (i * 37 + k * 101 + s * 53 + labels[k] * i) & 255;
      }
      m.train(images, labels);
    }
    const x = statistics(a), y = statistics(b);
    same.push(x.every((v, k) => v === y[k]));
  }
  return same;
}

test("layers below 2^11 inputs keep the 16-sample window as the rate falls: 1,100 and 2,047 inputs move alike for 12 steps", (t) => {
  t.deepEqual(sameStatistics(1100, 2047, 12), Array(12).fill(true));
});

test("a layer of 2^11 inputs averages longer once the rate has halved: alike over steps 1-2, apart from step 3 on", (t) => {
  // step 2 (the third) has R = min(2, floor(log2 3)) + 1 against 1 for the narrow layer
  const same = sameStatistics(2047, 2048, 6);
  t.deepEqual(same, [true, true, false, false, false, false]);
});

test("at a constant rate a layer of 2^11 inputs keeps the 16-sample window: 2,047 and 2,048 inputs move alike for 12 steps", (t) => {
  t.deepEqual(sameStatistics(2047, 2048, 12, "lr=3,lrend=3"), Array(12).fill(true));
});
