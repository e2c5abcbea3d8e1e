// Conv nets through the CLI on the emulated board: train (full protocol stack), eval of the
// saved model, validate, export (its inference scores as eval did), the refusals (a spec that
// does not fit names its largest layer).
import test from "ava";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runMain, tempDir } from "./helpers.ts";
import { decodeExport } from "../../host/export/format.ts";
import { accuracy } from "../../host/export/infer.ts";
import { loadDataset } from "../../host/datasets/index.ts";
import { idx } from "../datasets/helpers.ts";
import { Gen, quadrants } from "../kernels/gen.ts";

const MODEL = "1x8x8-c4-p-10:tc,batch=16,lr=2,lrend=2,decay=0";

/** MNIST-format files of a toy task: the label is the quadrant of a brighter 2x2 block (1x8x8). */
function quadrantIdx(dir: string): string {
  mkdirSync(dir);
  const gen = new Gen(21);
  for (const [prefix, n] of [["train", 512], ["t10k", 128]] as const) {
    const { images, labels } = quadrants(gen, n);
    writeFileSync(join(dir, `${prefix}-images-idx3-ubyte`), idx([n, 8, 8], images));
    writeFileSync(join(dir, `${prefix}-labels-idx1-ubyte`), idx([n], labels));
  }
  return dir;
}

test.serial("train, eval and validate a conv net on the emulated board", async (t) => {
  const dir = tempDir(t);
  const data = quadrantIdx(join(dir, "quad"));
  const out = join(dir, "conv.fewmul");
  const r = await runMain([
    "train", "--port", "emulator", "--link", "direct", "--dataset", "idx", "--data", data, "--model", MODEL,
    "--epochs", "4", "--out", out, "--flash", join(dir, "train.flash"), "--json",
  ]);
  t.is(r.code, 0, r.stderr);
  const trained = JSON.parse(r.stdout);
  t.log(`test accuracy ${(100 * trained.test_accuracy).toFixed(1)} % after 4 epochs`);
  t.true(trained.test_accuracy >= 0.85, `${trained.test_accuracy}`);
  t.regex(r.stderr, /training 1x8x8-c4-p-10:tc,batch=16/);

  const e = await runMain(["eval", "--port", "emulator", "--dataset", "idx", "--data", data, "--flash", join(dir, "eval.flash"), "--model-file", out, "--json"]);
  t.is(e.code, 0, e.stderr);
  t.deepEqual(JSON.parse(e.stdout), { accuracy: trained.test_accuracy, samples: 128 });

  const v = await runMain(["validate", "--port", "emulator", "--dataset", "idx", "--data", data, "--model", MODEL, "--batches", "6", "--json"]);
  t.is(v.code, 0, v.stderr);
  t.deepEqual(JSON.parse(v.stdout), { identical: true, batches: 6, first_divergence: null });

  // the export of the saved model classifies the test split exactly as `eval` did
  const x = await runMain(["export", "--model-file", out, "--out", join(dir, "conv"), "--json"]);
  t.is(x.code, 0, x.stderr);
  t.is(JSON.parse(x.stdout).model, "1x8x8-c4-p-10:tc");
  const exported = decodeExport(new Uint8Array(readFileSync(join(dir, "conv.bin"))), "conv.bin");
  const held = loadDataset("idx", { data, split: "test" });
  t.is(accuracy(exported, held.images, held.labels, held.count), trained.test_accuracy);
});

test.serial("a conv net that does not fit the board is refused at init, naming the layer that needs the most", async (t) => {
  const dir = tempDir(t);
  const data = quadrantIdx(join(dir, "quad"));
  const r = await runMain([
    "train", "--port", "emulator", "--link", "direct", "--dataset", "idx", "--data", data,
    "--model", "1x8x8-c4-c64-p-d32-10:tc,batch=256", "--out", join(dir, "big.fewmul"), "--flash", join(dir, "big.flash"),
  ]);
  t.is(r.code, 1);
  t.regex(r.stderr, /error: model 1x8x8-c4-c64-p-d32-10 \(batch 256\) does not fit in the RAM of board emulator \(512 KiB\): layer "c64-p" \(weight layer 2\) needs the most, \d+ KiB of \d+ KiB planned\n$/);
  // A model input that is not the dataset's image shape is refused like a wrong input count.
  const bad = await runMain(["train", "--port", "emulator", "--dataset", "idx", "--data", data, "--model", "1x4x16-c4-10", "--out", join(dir, "x.fewmul")]);
  t.is(bad.code, 1);
  t.regex(bad.stderr, /model input 1x4x16 but .* images are 1x8x8/);
});
