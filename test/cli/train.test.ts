// `fewmul train` and `fewmul eval` end to end on the emulated board: in this process through
// main() over --link direct (no socat needed), and as child processes for the default link
// and Ctrl-C.
import test from "ava";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { hasSocat } from "../../host/emulator/server.ts";
import { DeviceModel } from "../../host/module/device-model.ts";
import { loadCheckpoint } from "../../host/training/checkpoint-file.ts";
import { BIN, repoRoot, runCli, runMain, tempDir, tmpFiles } from "./helpers.ts";
import { idx } from "../datasets/helpers.ts";

// Explicit decay: the learning-rate schedule (part of the spec) must not depend on --epochs,
// or a 2-epoch resume of a 1-epoch run would be another model.
const MODEL = "784-32-10:tc,lr=2,lrend=6,decay=500";

interface TrainJson { board: string; calibrated: boolean; epochs: number; samples: number; test_accuracy: number; state_digest: string; out: string }

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
  t.deepEqual(Object.keys(out).filter((k) => k !== "log").sort(), ["board", "calibrated", "epochs", "out", "samples", "state_digest", "test_accuracy"]);
  t.is(out.calibrated, true);
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

/** A small MNIST-format data set (64 training, 32 test images) in `dir`. */
function tinyIdx(dir: string): string {
  mkdirSync(dir);
  for (const [prefix, n] of [["train", 64], ["t10k", 32]] as const) {
    writeFileSync(join(dir, `${prefix}-images-idx3-ubyte`), idx([n, 28, 28], new Uint8Array(n * 784).map((_, i) => (i * 7) % 253)));
    writeFileSync(join(dir, `${prefix}-labels-idx1-ubyte`), idx([n], new Uint8Array(n).map((_, i) => i % 10)));
  }
  return dir;
}

test("the default --link: a pty through socat when socat is installed, else a loopback socket; same model", async (t) => {
  const dir = tempDir(t);
  const data = tinyIdx(join(dir, "data"));
  const train = async (name: string, extra: string[], env?: NodeJS.ProcessEnv) => {
    const r = await runCli(["train", "--dataset", "idx", "--data", data, "--model", "784-16-10:tc,batch=16", "--epochs", "2", "--json",
      "--out", join(dir, `${name}.fewmul`), "--flash", join(dir, `${name}.flash`), ...extra], { cwd: dir, env });
    t.is(r.code, 0, r.stderr);
    return { digest: JSON.parse(r.stdout).state_digest as string, via: /^training .* via (\S+),/m.exec(r.stderr)?.[1] ?? r.stderr };
  };
  const direct = await train("direct", ["--link", "direct"]);
  t.is(direct.via, "emulator");

  const byDefault = await train("default", []);
  t.regex(byDefault.via, hasSocat() ? /^\/.*\/tty$/ : /^socket:\/\/127\.0\.0\.1:\d+$/);
  // no socat on the PATH (node is started by its full path)
  const withoutSocat = await train("nosocat", [], { PATH: join(dir, "data") });
  t.regex(withoutSocat.via, /^socket:\/\/127\.0\.0\.1:\d+$/);
  t.is(byDefault.digest, direct.digest);
  t.is(withoutSocat.digest, direct.digest);
});

test.serial("Ctrl-C during train: exit 130, the checkpoints of --checkpoint-every kept, --resume continues to the same model", async (t) => {
  const dir = tempDir(t);
  const out = join(dir, "run.fewmul");
  const args = ["--model", MODEL, "--epochs", "3", "--seed", "7", "--out", out, "--flash", join(dir, "run.flash")];
  const child = spawn(process.execPath, [BIN, "train", ...args, "--link", "socket", "--checkpoint-every", "7"], { cwd: repoRoot, env: { ...process.env, NO_COLOR: "1" } });
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL"); });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => { stderr += d; });
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));

  // Interrupt in epoch 2, once a checkpoint after the one at the end of epoch 1 (batch 250) is on disk.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const saved = existsSync(`${out}.ckpt`) ? loadCheckpoint(`${out}.ckpt`)!.lastBatchId : 0;
    if (saved > 250) break;
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no checkpoint past batch 250: ${stderr}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  child.kill("SIGINT");
  t.is(await exited, 130, stderr);
  t.regex(stderr, /^error: interrupted: the last checkpoint is kept, continue with --resume$/m);
  t.false(/^\s+at\s/m.test(stderr), "no stack trace");
  t.regex(stderr, /epoch 1\/3/);
  t.notRegex(stderr, /epoch 3\/3/, "interrupted before the end");
  t.false(existsSync(out), "no model file");
  t.deepEqual(tmpFiles(dir), []);
  const kept = loadCheckpoint(`${out}.ckpt`)!.lastBatchId;
  t.true(kept > 250 && kept < 750 && kept % 7 === 0, `checkpoint at batch ${kept}: every 7 batches`);

  const resumed = await runMain(["train", ...args, "--link", "direct", "--resume", "--json"]);
  t.is(resumed.code, 0, resumed.stderr);
  t.notRegex(resumed.stderr, /epoch 1\/3/, "epoch 1 is not trained again");
  t.regex(resumed.stderr, /epoch 3\/3/);
  const straight = await train(dir, "straight", 3);
  t.is(JSON.parse(resumed.stdout).state_digest, straight.state_digest);
  t.is(JSON.parse(resumed.stdout).samples, 750 * 32);
});

test.serial("train --no-calibrate saves the uncalibrated model; eval reports what each saved model gives", async (t) => {
  const dir = tempDir(t);
  const raw = await train(dir, "raw", 1, ["--no-calibrate"]);
  const cal = await train(dir, "cal", 1);
  t.is(raw.calibrated, false);
  t.is(cal.calibrated, true);
  t.not(raw.state_digest, cal.state_digest); // same training, different normalisation statistics
  for (const run of [raw, cal]) {
    const r = await runMain(["eval", "--port", "emulator", "--flash", join(dir, "eval.flash"), "--model-file", run.out, "--json"]);
    t.is(r.code, 0, r.stderr);
    t.is(JSON.parse(r.stdout).accuracy, run.test_accuracy);
  }
});
