// `fewmul train` and `fewmul eval` end to end, in this process through main(), on the
// emulated board over --link direct (no socat needed).
import test from "ava";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DeviceModel } from "../../host/module/device-model.ts";
import { runMain, tempDir, tmpFiles } from "./helpers.ts";

// Explicit decay: the learning-rate schedule (part of the spec) must not depend on --epochs,
// or a 2-epoch resume of a 1-epoch run would be another model.
const MODEL = "784-32-10:tc,lr=2,lrend=6,decay=500";

interface TrainJson { board: string; epochs: number; samples: number; test_accuracy: number; state_digest: string; out: string }

async function train(dir: string, name: string, epochs: number, extra: string[] = [], flash = name): Promise<TrainJson & { log: string }> {
  const r = await runMain([
    "train", "--board", "emulator", "--port", "emulator", "--link", "direct", "--model", MODEL,
    "--epochs", String(epochs), "--seed", "7", "--json",
    "--out", join(dir, `${name}.fewmul`), "--flash", join(dir, `${flash}.flash`), ...extra,
  ]);
  if (r.code !== 0) throw new Error(`train exited ${r.code}: ${r.stderr}`);
  const lines = r.stdout.trim().split("\n");
  if (lines.length !== 1) throw new Error(`--json must print one line, got:\n${r.stdout}`);
  return { ...JSON.parse(lines[0]), log: r.stderr };
}

test.serial("train --json: fields, the model file and its digest", async (t) => {
  const dir = tempDir(t);
  const out = await train(dir, "one", 1);
  t.deepEqual(Object.keys(out).filter((k) => k !== "log").sort(), ["board", "epochs", "out", "samples", "state_digest", "test_accuracy"]);
  t.is(out.board, "emulator");
  t.is(out.epochs, 1);
  t.is(out.samples, 250 * 32); // 8000 mnist training digits in batches of 32
  t.true(out.test_accuracy >= 0 && out.test_accuracy <= 1);
  t.true(out.test_accuracy > 0.5, `test accuracy ${out.test_accuracy}`);
  t.regex(out.state_digest, /^[0-9a-f]{8}$/);
  t.is(out.out, join(dir, "one.fewmul"));
  t.true(existsSync(out.out));
  t.deepEqual(tmpFiles(dir), []);

  const model = new DeviceModel();
  model.loadState(new Uint8Array(readFileSync(out.out)));
  t.is(model.digest().toString(16).padStart(8, "0"), out.state_digest);
  t.is(model.step, 250);

  // eval on the same test split gives the accuracy train reported after its last epoch.
  const r = await runMain(["eval", "--port", "emulator", "--flash", join(dir, "eval.flash"), "--model-file", out.out, "--json"]);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(JSON.parse(r.stdout), { accuracy: out.test_accuracy, samples: 2000 });

  // without --json: aligned key/value lines
  const human = await runMain(["eval", "--port", "emulator", "--flash", join(dir, "eval.flash"), "--model-file", out.out]);
  t.is(human.code, 0, human.stderr);
  t.regex(human.stdout, /^accuracy\s+0\.\d+\nsamples\s+2000\n$/);
});

test.serial("train --resume after an interruption ends on the digest of an uninterrupted run", async (t) => {
  const dir = tempDir(t);
  const straight = await train(dir, "straight", 2);
  t.is(straight.samples, 500 * 32);

  // "Interrupted" after epoch 1: the device's flash and the host checkpoint hold batch 250.
  const first = await train(dir, "resumed", 1);
  t.not(first.state_digest, straight.state_digest);
  t.true(existsSync(join(dir, "resumed.fewmul.ckpt")));
  const resumed = await train(dir, "resumed", 2, ["--resume"]);
  t.is(resumed.state_digest, straight.state_digest);
  t.is(resumed.samples, straight.samples);
  t.is(resumed.test_accuracy, straight.test_accuracy);
  // it continued: only the second epoch ran
  t.regex(resumed.log, /epoch 2\/2/);
  t.notRegex(resumed.log, /epoch 1\/2/);

  // A device that lost its flash (another flash file): resume comes from the host checkpoint.
  await train(dir, "hosted", 1, [], "lost");
  const fromHost = await train(dir, "hosted", 2, ["--resume"], "blank");
  t.is(fromHost.state_digest, straight.state_digest);
  t.notRegex(fromHost.log, /epoch 1\/2/);
  t.deepEqual(tmpFiles(dir), []);
});
