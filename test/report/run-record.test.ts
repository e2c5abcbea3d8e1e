// The run record next to a model file: written atomically, read back as written, bad files
// refused with one line naming the file and the field, and a resumed run keeping its history.
import test from "ava";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../../host/errors.ts";
import { readRunRecord, RunRecorder, runRecordPath, SAVE_EVERY, writeRunRecord, type RunStart } from "../../host/report/run-record.ts";
import { tempDir, tmpFiles } from "../cli/helpers.ts";

const START: RunStart = {
  model: "784-32-10:tc,batch=32,qbp=1,window=8,lr=2,lrend=6,decay=500,randbits=8",
  board: { id: "emulator", name: "Node.js emulator", ram: 524288 },
  dataset: { kind: "mnist", data: null, name: "mnist", train: 96, test: 20, classes: 10 },
  seed: 1, epochs: 2, batch: 32, perEpoch: 3, sizes: { module_bytes: 11935, firmware: null },
};

const oneLine = (e: unknown) => e instanceof UserError && !e.message.includes("\n");

test("a recorded run reads back as written, tied to the model's digest at the end", (t) => {
  const dir = tempDir(t);
  const path = runRecordPath(join(dir, "m.fewmul"));
  t.is(path, join(dir, "m.fewmul.run.json"));
  const r = new RunRecorder(path, START, false);
  for (let id = 1; id <= 3; id++) r.batch({ id, correct: 10 + id, loss: 40.5 - id });
  r.epoch({ epoch: 0, testAccuracy: 0.45 });
  const partial = readRunRecord(path);
  t.is(partial.state_digest, null);
  t.deepEqual(partial.loss, [39.5, 38.5, 37.5, null, null, null]);
  t.deepEqual(partial.test_accuracy, [0.45, null]);
  for (let id = 4; id <= 6; id++) r.batch({ id, correct: 20, loss: 30 });
  r.epoch({ epoch: 1, testAccuracy: 0.6 });
  const done = r.finish({ digest: 0xabc, samples: 192, testAccuracy: 0.5, calibrated: true, confusion: Array.from({ length: 10 }, (_, i) => Array.from({ length: 10 }, (_, j) => (i === j ? 2 : 0))) });
  t.deepEqual(readRunRecord(path), done);
  t.is(done.state_digest, "00000abc");
  t.deepEqual(done.correct, [11, 12, 13, 20, 20, 20]);
  t.deepEqual(tmpFiles(dir), []);
});

test("--resume keeps the batches of an earlier record of the same run, not of another run", (t) => {
  const dir = tempDir(t);
  const path = join(dir, "m.fewmul.run.json");
  const first = new RunRecorder(path, { ...START, epochs: 1 }, false);
  for (let id = 1; id <= 3; id++) first.batch({ id, correct: id, loss: id });
  first.epoch({ epoch: 0, testAccuracy: 0.5 });
  const resumed = new RunRecorder(path, START, true); // 2 epochs now
  t.deepEqual(resumed.record.loss, [1, 2, 3, null, null, null]);
  t.deepEqual(resumed.record.test_accuracy, [0.5, null]);
  t.deepEqual(new RunRecorder(path, START, false).record.loss, new Array(6).fill(null), "without --resume");
  t.deepEqual(new RunRecorder(path, { ...START, seed: 2 }, true).record.loss, new Array(6).fill(null), "another seed");
  writeFileSync(path, "{");
  t.deepEqual(new RunRecorder(path, START, true).record.loss, new Array(6).fill(null), "unreadable record");
});

test("bad run records are one-line errors naming the file and what is wrong", (t) => {
  const dir = tempDir(t);
  const path = join(dir, "r.json");
  const good = new RunRecorder(path, START, false).finish({ digest: 1, samples: 192, calibrated: false });
  const cases: Array<[string, string | object]> = [
    ["bad JSON", "{ nope"],
    ['no "format": "fewmul-run"', { ...good, format: "other" }],
    ["version 9 is not supported", { ...good, version: 9 }],
    ['"loss" must be an array of 6 numbers', { ...good, loss: [1, 2] }],
    ['"correct" must be an array of 6 numbers', { ...good, correct: ["a", 1, 1, 1, 1, 1] }],
    ['"state_digest" must be 8 hex digits', { ...good, state_digest: "xyz" }],
    ['"epochs" must be an integer', { ...good, epochs: -1 }],
    ['"confusion" must be a square matrix', { ...good, confusion: [[1, 2]] }],
    ['"id" must be a string', { ...good, board: {} }],
  ];
  for (const [message, content] of cases) {
    writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
    const e = t.throws(() => readRunRecord(path));
    t.true(oneLine(e) && e!.message.startsWith(`${path}: `) && e!.message.includes(message), `${message}: ${e?.message}`);
  }
  const missing = t.throws(() => readRunRecord(join(dir, "none.json")));
  t.true(oneLine(missing) && missing!.message.includes("run record not found"));
});

test("the record is saved every SAVE_EVERY batches within an epoch", (t) => {
  const dir = tempDir(t);
  const path = join(dir, "m.fewmul.run.json");
  const r = new RunRecorder(path, { ...START, epochs: 1, perEpoch: 2 * SAVE_EVERY + 10 }, false);
  for (let id = 1; id < SAVE_EVERY; id++) r.batch({ id, correct: 1, loss: 1 });
  t.false(existsSync(path));
  r.batch({ id: SAVE_EVERY, correct: 1, loss: 1 });
  r.batch({ id: SAVE_EVERY + 1, correct: 1, loss: 1 });
  const saved = readRunRecord(path);
  t.is(saved.loss.filter((v) => v !== null).length, SAVE_EVERY);
});

test("writeRunRecord replaces the file whole", (t) => {
  const dir = tempDir(t);
  const path = join(dir, "r.json");
  const r = new RunRecorder(path, START, false).record;
  writeRunRecord(path, r);
  t.true(existsSync(path));
  t.deepEqual(JSON.parse(readFileSync(path, "utf8")), r);
  t.deepEqual(tmpFiles(dir), []);
});
