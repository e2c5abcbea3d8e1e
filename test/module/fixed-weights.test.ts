/**
 * `fixed=1` (mode flag MODE_FIXED, docs/model-format.md "Sample"): training uses the
 * deterministic weights inference uses, instead of sampled ones; every other rule stays.
 * That it learns: learning.test.ts.
 */
import test from "ava";
import { DeviceModel } from "../../host/module/device-model.ts";
import { parseSpec } from "../../host/module/spec.ts";
import { mnistDigits } from "../../host/datasets/mnist-package.ts";
import { epochBatches } from "../../host/training/batches.ts";

/**
 * Per step: the deterministic net's correct count on the batch with the batch's statistics
 * (a fresh calibration batch), then the training step's own count before its update.
 */
function counts(specText: string, steps: number): [number, number][] {
  const spec = parseSpec(specText);
  const m = new DeviceModel();
  m.init(spec, 3);
  const x = m.mod.exports;
  const out: [number, number][] = [];
  for (const b of epochBatches(mnistDigits().train, spec.batch, 7, 0)) {
    if (out.length === steps) break;
    m.mod.mem.write(x.batch_inputs_ptr(), b.images);
    m.mod.mem.write(x.batch_labels_ptr(), b.labels);
    const deterministic = x.calibrate(spec.batch, 1);
    out.push([deterministic, m.train(b.images, b.labels).correct]);
  }
  return out;
}

test("fixed=1: every training step classifies its batch as the deterministic net does; sampled training does not", (t) => {
  for (const mode of ["bc", "tc"]) {
    const fixed = counts(`784-64-10:${mode},batch=32,fixed=1`, 12);
    t.deepEqual(fixed.map(([d]) => d), fixed.map(([, s]) => s), `${mode} fixed`);
    const sampled = counts(`784-64-10:${mode},batch=32`, 12);
    t.true(sampled.some(([d, s]) => d !== s), `${mode} sampled: ${JSON.stringify(sampled)}`);
  }
});
