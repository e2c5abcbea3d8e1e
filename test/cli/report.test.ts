// `fewmul train --report`, `fewmul report` and `fewmul validate --log` end to end, in this
// process through main(), on the emulated board over --link direct: every number the report
// shares with train --json is the same number, the per-batch history is the device's own,
// the page is self-contained and redraws identically later; bad inputs are one-line errors.
import test from "ava";
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { mnistDigits } from "../../host/datasets/mnist-package.ts";
import { DeviceModel } from "../../host/module/device-model.ts";
import { parseSpec } from "../../host/module/spec.ts";
import { percent } from "../../host/report/html.ts";
import { readRunRecord } from "../../host/report/run-record.ts";
import { BatchSource, CALIBRATION_SAMPLES } from "../../host/training/run.ts";
import { assertUsageError, assertUserError, freshModelBlob, perturbedEmulator, repoRoot, runMain, tempDir, tmpFiles } from "./helpers.ts";

const MODEL = "784-32-10:tc,lr=2,lrend=6,decay=500";
const SEED = 3;

async function train(dir: string, name: string, epochs: number, extra: string[] = []) {
  const r = await runMain([
    "train", "--port", "emulator", "--link", "direct", "--model", MODEL, "--epochs", String(epochs), "--seed", String(SEED),
    "--json", "--out", join(dir, `${name}.fewmul`), "--flash", join(dir, `${name}.flash`), ...extra,
  ]);
  if (r.code !== 0) throw new Error(`train exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** data-key → data-value of every marked number in a page (a key may repeat). */
function marked(html: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const m of html.matchAll(/data-key="([^"]+)" data-value="([^"]*)">([^<]*)</g)) {
    out.set(m[1], [...(out.get(m[1]) ?? []), m[2]]);
  }
  return out;
}

/** The visible text of the element carrying data-key=key. */
const shown = (html: string, key: string) => new RegExp(`data-key="${key}" data-value="[^"]*">([^<]*)<`).exec(html)?.[1];

test.serial("train --report: the page's numbers are the --json numbers, its history the device's own batches", async (t) => {
  const dir = tempDir(t);
  // Calibrated (the default): the page's headline is the saved model's accuracy, the epoch row the
  // evaluation before the end-of-run calibration.
  const json = await train(dir, "m", 1, ["--report", join(dir, "run.html")]);
  t.true(json.calibrated);
  t.is(json.report, join(dir, "run.html"));
  const html = readFileSync(json.report, "utf8");
  const k = marked(html);

  // every number the report shares with train --json
  t.deepEqual(k.get("board"), [json.board]);
  t.deepEqual(k.get("epochs"), [String(json.epochs)]);
  t.deepEqual(k.get("samples"), [String(json.samples)]);
  t.deepEqual(k.get("state_digest"), [json.state_digest]);
  t.deepEqual(k.get("out"), [json.out]);
  t.deepEqual(k.get("test_accuracy"), [String(json.test_accuracy)]);
  const record0 = readRunRecord(join(dir, "m.fewmul.run.json"));
  t.deepEqual(k.get("epoch_test_accuracy"), [String(record0.test_accuracy[0])]);
  t.is(record0.final_test_accuracy, json.test_accuracy);
  t.true(record0.calibrated);
  t.is(shown(html, "test_accuracy"), percent(json.test_accuracy));
  t.is(shown(html, "samples"), json.samples.toLocaleString("en-US"));
  // the confusion matrix (host inference of the model file) counts exactly the device's test accuracy
  t.deepEqual(k.get("confusion_total"), ["2000"]);
  t.deepEqual(k.get("confusion_accuracy"), [String(json.test_accuracy)]);
  t.is(Number(k.get("confusion_right")![0]), Math.round(json.test_accuracy * 2000));
  t.deepEqual(k.get("module_bytes"), [String(statSync(join(repoRoot, "build", "fewmul.wasm")).size)]);
  const required = new DeviceModel().requiredBytes(parseSpec(MODEL));
  t.deepEqual(k.get("required_bytes"), [String(required)]);
  t.deepEqual(k.get("ram"), ["524288"]);

  // self-contained: no script, nothing loaded from anywhere, under the size budget
  t.false(/<script|<link|<img|<iframe|src=|href=|url\(|@import|https?:/i.test(html), "external reference or script in the page");
  t.true(html.length < 200_000, `${html.length} bytes`);
  for (const title of ["Training loss per batch", "Training accuracy per batch", "Test accuracy per epoch", "Confusion matrix", "Layer 0: latent weights", "Layer 1: latent weights", "Linear memory to train"]) {
    t.true(html.includes(`aria-label="${title}`), `chart "${title}" missing`);
  }

  // the history is the device's: replaying the same batches in this process gives the same numbers
  const record = readRunRecord(join(dir, "m.fewmul.run.json"));
  t.is(record.state_digest, json.state_digest);
  t.is(record.samples, json.samples);
  const spec = parseSpec(MODEL);
  spec.decaySteps = 500;
  const replay = new DeviceModel();
  replay.init(spec, SEED);
  const source = new BatchSource(mnistDigits().train, spec.batch, SEED);
  const loss: number[] = [], correct: number[] = [];
  for (let id = 1; id <= source.perEpoch; id++) {
    const { images, labels } = source.get(id);
    const r = replay.train(images, labels);
    loss.push(r.loss);
    correct.push(r.correct);
  }
  t.deepEqual(record.loss, loss);
  t.deepEqual(record.correct, correct);
  const { train: digits } = mnistDigits();
  replay.calibrate(digits.images, digits.labels, Math.min(CALIBRATION_SAMPLES, digits.count));
  t.is(replay.digest().toString(16).padStart(8, "0"), json.state_digest);

  // redrawn later from the model file and its record: the same page, byte for byte
  const again = await runMain(["report", "--model-file", json.out, "--out", join(dir, "again.html"), "--json"]);
  t.is(again.code, 0, again.stderr);
  t.is(readFileSync(join(dir, "again.html"), "utf8"), html);
  t.like(JSON.parse(again.stdout), { out: join(dir, "again.html"), bytes: Buffer.byteLength(html), run_record: join(dir, "m.fewmul.run.json") });
  t.deepEqual(tmpFiles(dir), []);
});

test.serial("a resumed run's record holds the whole history of an uninterrupted one", async (t) => {
  const dir = tempDir(t);
  await train(dir, "straight", 2);
  await train(dir, "resumed", 1);
  const json = await train(dir, "resumed", 2, ["--resume"]);
  const straight = readRunRecord(join(dir, "straight.fewmul.run.json"));
  const resumed = readRunRecord(join(dir, "resumed.fewmul.run.json"));
  t.is(resumed.state_digest, json.state_digest);
  t.deepEqual(resumed.loss, straight.loss);
  t.deepEqual(resumed.correct, straight.correct);
  t.deepEqual(resumed.test_accuracy, straight.test_accuracy);
  t.false(resumed.loss.includes(null));
});

test.serial("report without a run record: the model's sections, the confusion matrix from the test split; --dataset recomputes it", async (t) => {
  const dir = tempDir(t);
  const json = await train(dir, "m", 1, ["--report", join(dir, "with.html")]);
  copyFileSync(json.out, join(dir, "bare.fewmul"));
  const r = await runMain(["report", "--model-file", join(dir, "bare.fewmul"), "--out", join(dir, "bare.html")]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stderr, /no run record/);
  const html = readFileSync(join(dir, "bare.html"), "utf8");
  t.false(html.includes("Training loss per batch"));
  const k = marked(html);
  t.deepEqual(k.get("confusion_accuracy"), [String(json.test_accuracy)]);
  t.deepEqual(k.get("state_digest"), [json.state_digest]);
  t.true(html.includes('aria-label="Layer 0: latent weights"'));

  // with a record: its matrix, unless --dataset asks for the test split again
  const recordPath = join(dir, "m.fewmul.run.json");
  const record = JSON.parse(readFileSync(recordPath, "utf8"));
  record.confusion = record.confusion.map((row: number[], i: number) => row.map((_, j) => (i === j ? 1 : 0)));
  writeFileSync(recordPath, JSON.stringify(record));
  t.is((await runMain(["report", "--model-file", json.out, "--out", join(dir, "r.html")])).code, 0);
  t.deepEqual(marked(readFileSync(join(dir, "r.html"), "utf8")).get("confusion_total"), ["10"]);
  t.is((await runMain(["report", "--model-file", json.out, "--dataset", "mnist", "--out", join(dir, "r.html")])).code, 0);
  t.deepEqual(marked(readFileSync(join(dir, "r.html"), "utf8")).get("confusion_accuracy"), [String(json.test_accuracy)]);
});

test.serial("validate --log, then report --validate-log: identical runs and a marked divergence", async (t) => {
  const dir = tempDir(t);
  const log = join(dir, "v.json");
  const v = await runMain(["validate", "--port", "emulator", "--flash", join(dir, "d.flash"), "--model", "784-16-10:tc", "--batches", "4", "--log", log, "--json"]);
  t.is(v.code, 0, v.stderr);
  const entries = JSON.parse(readFileSync(log, "utf8"));
  t.is(entries.batches.length, 4);
  t.true(entries.identical);
  t.true(entries.batches.every((b: any) => b.device_digest === b.emulator_digest && b.device_loss > 0));

  const r = await runMain(["report", "--validate-log", log, "--out", join(dir, "v.html")]);
  t.is(r.code, 0, r.stderr);
  let html = readFileSync(join(dir, "v.html"), "utf8");
  t.regex(html, /Identical<\/strong>: device and emulator states were equal after each of the 4 batches/);
  for (const b of entries.batches) t.true(html.includes(`<code>${b.device_digest}</code>`));
  t.true(html.includes('aria-label="State digests per batch'));
  t.true(html.includes('aria-label="Linear memory to train'), "the memory plan of the log's spec");

  // a device perturbed after batch 2 (as in validate.test.ts): the divergence is named, marked
  // on both charts and its row flagged
  const spec = "784-16-10:tc,batch=16";
  const { emulator } = await perturbedEmulator(t, dir, spec);
  const bad = await runMain(["validate", "--port", emulator.port, "--batches", "5", "--model", spec, "--log", log]);
  t.is(bad.code, 2, bad.stderr);
  const diverged = JSON.parse(readFileSync(log, "utf8"));
  t.deepEqual(diverged.first_divergence, { batch: 2, tensor: "layer1.running_mean", index: 3 });
  t.false(diverged.identical);
  t.is(diverged.batches.length, 2);
  t.is(diverged.batches[0].device_digest, diverged.batches[0].emulator_digest);
  t.not(diverged.batches[1].device_digest, diverged.batches[1].emulator_digest);
  t.is((await runMain(["report", "--validate-log", log, "--out", join(dir, "v.html")])).code, 0);
  html = readFileSync(join(dir, "v.html"), "utf8");
  t.regex(html, /diverged from the emulator at batch 2<\/strong>: first differing element <code>layer1.running_mean\[3\]<\/code>/);
  t.is([...html.matchAll(/>first divergence: batch 2<\/text>/g)].length, 2);
  t.regex(html, new RegExp(`<tr class="bad"><td class="n">2</td><td><code>${diverged.batches[1].device_digest}</code>`));
});

test.serial("report: bad inputs are one-line errors and leave no file", async (t) => {
  const dir = tempDir(t);
  const json = await train(dir, "m", 1);
  const out = join(dir, "r.html");
  const run = (...args: string[]) => runMain(["report", "--out", out, ...args]);

  assertUserError(t, await run("--model-file", join(dir, "none.fewmul")), "none.fewmul", "model file not found");
  writeFileSync(join(dir, "junk.fewmul"), "not a model");
  assertUserError(t, await run("--model-file", join(dir, "junk.fewmul")), "junk.fewmul", "not a fewmul model file");
  mkdirSync(join(dir, "folder"));
  assertUsageError(t, await runMain(["report", "--model-file", json.out, "--out", join(dir, "folder")]), "--out must name a file");
  assertUserError(t, await run("--validate-log", join(dir, "none.json")), "none.json", "validate log not found");
  writeFileSync(join(dir, "v.json"), JSON.stringify({ format: "fewmul-validate", version: 1 }));
  assertUserError(t, await run("--validate-log", join(dir, "v.json")), "v.json", "bad validate log");

  // a record of another model next to this one
  const recordPath = join(dir, "m.fewmul.run.json");
  const record = JSON.parse(readFileSync(recordPath, "utf8"));
  writeFileSync(recordPath, JSON.stringify({ ...record, state_digest: "00000000" }));
  assertUserError(t, await run("--model-file", json.out), "run record belongs to another model");
  writeFileSync(recordPath, "{");
  assertUserError(t, await run("--model-file", json.out), "m.fewmul.run.json", "not a run record (bad JSON");
  // without a record holding the confusion matrix, the test split must load
  writeFileSync(recordPath, JSON.stringify(record));
  copyFileSync(json.out, join(dir, "bare.fewmul"));
  assertUsageError(t, await run("--model-file", join(dir, "bare.fewmul"), "--dataset", "nope"), "unknown dataset");

  t.false(existsSync(out));
  // train checks --report before it trains
  assertUsageError(t, await runMain(["train", "--link", "direct", "--model", MODEL, "--out", join(dir, "x.fewmul"), "--report", join(dir, "folder")]), "--report must name a file");
  assertUsageError(t, await runMain(["validate", "--model", "784-16-10:tc", "--batches", "1", "--log", join(dir, "folder")]), "--log must name a file");
  t.false(existsSync(join(dir, "x.fewmul")));
  t.deepEqual(tmpFiles(dir), []);
});
