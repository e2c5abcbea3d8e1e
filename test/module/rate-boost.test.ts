/**
 * The per-layer rate boost (docs/model-format.md step 6): 2^(floor(log2(nIn + nOut)) - 3),
 * the fans counted up to 2^10. Observed through the update itself: a layer whose extra inputs
 * are all zero computes the same z, statistics and errors, and draws the same randoms, as the
 * layer without them, so its other weights step alike exactly when the two boosts are equal.
 */
import test from "ava";
import type { DeviceModel } from "../../host/module/device-model.ts";
import { STATE_O_LAYERS } from "../../assembly/shared/state.ts";
import { twinModels } from "./twin-layers.ts";

const CLASSES = 2, BATCH = 8, USED = 500;
const USED_BYTES = 2 * USED * CLASSES; // int16 w[input][output]: the used inputs' rows come first

/** The used inputs' weights after one step on a batch whose inputs past USED are 0. */
function usedWeightsAfterStep(m: DeviceModel, inputs: number): Int16Array {
  const images = new Uint8Array(BATCH * inputs), labels = new Uint8Array(BATCH);
  for (let b = 0; b < BATCH; b++) {
    labels[b] = b & 1;
    for (let i = 0; i < USED; i++) images[b * inputs + i] = (i * 37 + b * 101 + (b & 1) * i) & 255;
  }
  m.train(images, labels);
  const bytes = m.mod.mem.read(m.mod.exports.state_ptr() + STATE_O_LAYERS, USED_BYTES).slice();
  return new Int16Array(bytes.buffer);
}

/** Whether layers of `small` and `large` inputs, started alike, move the used weights alike. */
function sameStep(small: number, large: number): boolean {
  const [a, b] = twinModels(small, large, `${CLASSES}:tc,batch=${BATCH},fixed=1`, USED_BYTES);
  const wa = usedWeightsAfterStep(a, small), wb = usedWeightsAfterStep(b, large);
  return wa.every((v, k) => v === wb[k]);
}

test("the rate boost grows with the fans below 2^10: 1,000 and 1,100 fans step differently", (t) => {
  t.false(sameStep(998, 1098)); // fans 1,000 (boost 6) and 1,100 (boost 7)
});

test("the rate boost stops at 2^10 fans: 1,100 and 3,000 fans step alike", (t) => {
  t.true(sameStep(1098, 2998)); // fans 1,100 and 3,000: boost 7 both
});
