// The page around the charts: per-batch series thinned for long runs (the page stays small),
// running means, and sections only for the data there is.
import test from "ava";
import { MAX_POINTS, perBatchSeries, renderReport, runningMean, type ReportData } from "../../host/report/html.ts";
import type { RunRecord } from "../../host/report/run-record.ts";

test("runningMean: the mean of the last `window` recorded values, null where the value is missing", (t) => {
  t.deepEqual(runningMean([1, 2, 3, 4, 5], 2), [1, 1.5, 2.5, 3.5, 4.5]);
  t.deepEqual(runningMean([2, null, 4, 6], 2), [2, null, 4, 5]);
  t.deepEqual(runningMean([3, 5, 7], 10), [3, 4, 5]);
});

test("perBatchSeries: every batch up to MAX_POINTS, else bands spanning each bucket's range", (t) => {
  const short = perBatchSeries([1, 2, null, 4], [1, 1.5, 1.5, 7 / 3], ["raw", "mean"], ["#aaaaaa", "#111111"]);
  t.deepEqual(short[0].points, [[1, 1], [2, 2], [3, null], [4, 4]]);
  t.is(short[0].band, undefined);
  t.deepEqual(short[1].points.map((p) => p[0]), [1, 2, 3, 4]);

  const n = 3 * MAX_POINTS + 5;
  const k = Math.ceil(n / (MAX_POINTS / 2)); // batches per bucket
  // each bucket holds 0..k-1, but batch 3 is an outlier
  const values = Array.from({ length: n }, (_, i) => (i % k) - (i === 2 ? 50 : 0));
  const mean = values.map((_, i) => i);
  const [band, line] = perBatchSeries(values, mean, ["raw", "mean"], ["#aaaaaa", "#111111"]);
  t.is(band.band!.length, Math.ceil(n / k));
  t.true(band.band!.length <= MAX_POINTS / 2 + 1);
  t.deepEqual(band.band![0], [(k + 1) / 2, 2 - 50, k - 1]);
  t.true(band.band!.slice(1, -1).every(([, lo, hi]) => lo === 0 && hi === k - 1));
  t.is(band.name, `raw (range of ${k})`);
  t.deepEqual(line.points[0], [k, k - 1]);
  t.deepEqual(line.points[line.points.length - 1], [n, n - 1]);
});

function record(epochs: number, perEpoch: number): RunRecord {
  const total = epochs * perEpoch;
  return {
    format: "fewmul-run", version: 1, model: "784-256-10:tc", state_digest: "01234567",
    board: { id: "emulator", name: "Node.js emulator", ram: 524288 },
    dataset: { kind: "fashion", data: null, name: "fashion", train: 60000, test: 10000, classes: 10 },
    seed: 1, epochs, batch: 32, per_epoch: perEpoch,
    loss: Array.from({ length: total }, (_, i) => 40 - (i % 97) / 7), correct: Array.from({ length: total }, (_, i) => 10 + (i % 23)),
    test_accuracy: Array.from({ length: epochs }, (_, e) => 0.8 + e / 100), samples: total * 32, final_test_accuracy: null, calibrated: false,
    module_bytes: 11935, firmware: null, confusion: null,
  };
}

const base: ReportData = {
  title: "t", model: "784-256-10:tc,batch=32", board: { id: "emulator", name: "Node.js emulator", ram: 524288 },
  sizes: { module_bytes: 11935, firmware: null },
};

test("a 10-epoch Fashion-MNIST run (18,750 batches) still makes a page under 200 KB", (t) => {
  const html = renderReport({ ...base, run: record(10, 1875) });
  t.true(html.length < 200_000, `${html.length} bytes`);
  t.true(html.includes("per batch (range of"));
  t.is([...html.matchAll(/data-key="epoch_test_accuracy"/g)].length, 10);
});

test("sections appear only for the data given", (t) => {
  const bare = renderReport(base);
  for (const h of ["Training", "Validation", "Confusion matrix", "Weights", "Memory on"]) t.false(bare.includes(`<h2>${h}`), h);
  const trained = renderReport({ ...base, run: record(2, 5), confusion: { matrix: [[3, 1], [0, 4]], dataset: "d" } });
  t.true(trained.includes("<h2>Training</h2>") && trained.includes("<h2>Confusion matrix</h2>"));
  t.regex(trained, /data-key="confusion_right" data-value="7">7</);
  t.regex(trained, /data-key="test_accuracy" data-value="0.81">81.00 %</);
  t.false(/<script|https?:|src=|href=/.test(trained));
});
