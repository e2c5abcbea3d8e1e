// Weight shares and histograms against the rule of docs/model-format.md applied to the raw
// latent weights, and the confusion matrix against the device module's own predictions.
import test from "ava";
import { mnistDigits } from "../../host/datasets/mnist-package.ts";
import { parseModelFile } from "../../host/export/model-file.ts";
import { stateTensors } from "../../host/module/state-layout.ts";
import { confusionMatrix, HISTOGRAM_BINS, weightStats } from "../../host/report/model-stats.ts";
import { devicePredictions, freshModelBlob, reseal, trainedModelBlob } from "../cli/helpers.ts";

/** docs/model-format.md: deterministic BC +1 iff w >= 0; TC sign(w) iff |w| > 2^13, else 0. */
function oracleShares(weights: Int16Array, tc: boolean) {
  let minus = 0, zero = 0, plus = 0;
  for (const w of weights) {
    const s = tc ? (w > 8192 ? 1 : w < -8192 ? -1 : 0) : (w >= 0 ? 1 : -1);
    if (s > 0) plus++; else if (s < 0) minus++; else zero++;
  }
  return { minus, zero, plus };
}

for (const spec of ["784-32-10:tc,lr=2,lrend=6", "784-32-16-10:bc,lr=2,lrend=6"]) {
  test(`weight shares of ${spec} follow the deterministic rule, per layer`, (t) => {
    const model = parseModelFile(trainedModelBlob(spec, 40), "m.fewmul");
    const stats = weightStats(model);
    t.is(stats.length, model.layers.length);
    stats.forEach((s, l) => {
      const o = oracleShares(model.layers[l].weights, model.spec.mode === "tc");
      t.deepEqual({ minus: s.minus, zero: s.zero, plus: s.plus }, o, `layer ${l}`);
      t.is(s.counts.reduce((a, n) => a + n, 0), s.nIn * s.nOut);
      t.is(s.counts.length, HISTOGRAM_BINS);
      t.is(s.edges.length, HISTOGRAM_BINS + 1);
    });
    if (model.spec.mode === "tc") t.true(stats[0].zero > 0 && stats[0].plus > 0 && stats[0].minus > 0);
    else t.is(stats[0].zero, 0);
  });
}

test("histogram bins: [-2^14, -2^14 + 512) is the first, 2^14 falls in the last", (t) => {
  const blob = freshModelBlob("4-2:tc");
  const w = stateTensors(blob).find((s) => s.name === "layer0.weights")!;
  const v = new DataView(blob.buffer, blob.byteOffset);
  const set = [-16384, -15873, 16384, 0, -1, 511, 512, 16383];
  set.forEach((x, i) => v.setInt16(w.offset + 2 * i, x, true));
  const [s] = weightStats(parseModelFile(reseal(blob), "m"));
  const bins = (x: number) => s.edges.findIndex((e, i) => i < HISTOGRAM_BINS && x >= e && (x < s.edges[i + 1] || i === HISTOGRAM_BINS - 1));
  t.deepEqual(set.map(bins), [0, 0, 63, 32, 31, 32, 33, 63]);
  const expected = new Array(HISTOGRAM_BINS).fill(0);
  for (const x of set) expected[bins(x)]++;
  t.deepEqual(s.counts, expected);
  t.deepEqual({ minus: s.minus, zero: s.zero, plus: s.plus }, { minus: 2, zero: 4, plus: 2 });
});

test("confusion matrix = the device module's predictions, its diagonal = the device's correct count", (t) => {
  const blob = trainedModelBlob("784-32-10:tc,lr=2,lrend=6", 60);
  const { test: ts } = mnistDigits();
  const n = 320;
  const sub = { ...ts, images: ts.images.subarray(0, n * ts.features), labels: ts.labels.subarray(0, n), count: n };
  const m = confusionMatrix(parseModelFile(blob, "m"), sub);
  const device = devicePredictions(blob, sub.images, sub.labels, n);
  const expected = Array.from({ length: 10 }, () => new Array(10).fill(0));
  for (let s = 0; s < n; s++) expected[sub.labels[s]][device.predictions[s]]++;
  t.deepEqual(m, expected);
  const diagonal = m.reduce((a, row, i) => a + row[i], 0);
  t.is(diagonal, device.correct.reduce((a, c) => a + c, 0));
  t.true(diagonal > n / 2, `only ${diagonal} of ${n} right: the model did not train`);
});
