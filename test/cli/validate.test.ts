// `fewmul validate`: identical runs pass with exit 0 and leave nothing behind; a device whose
// state is perturbed mid-run fails with exit 2 and names the first divergent batch, tensor
// and index.
import test from "ava";
import { mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { perturbedEmulator, runCli, runMain, tempDir } from "./helpers.ts";

const MODEL = "784-16-10:tc,batch=16";

test("identical: exit 0, one JSON object, no file left in the working or the temp directory", async (t) => {
  const dir = tempDir(t);
  const tmp = join(dir, "tmp");
  mkdirSync(tmp);
  const r = await runCli(["validate", "--port", "emulator", "--flash", "device.flash", "--batches", "3", "--model", MODEL, "--json"], { cwd: dir, env: { TMPDIR: tmp } });
  t.is(r.code, 0, r.stderr);
  t.deepEqual(JSON.parse(r.stdout), { identical: true, batches: 3, first_divergence: null });
  t.deepEqual(readdirSync(dir).sort(), ["device.flash", "tmp"], "only the device's flash (no .fewmul/validate-reference.flash)");
  t.deepEqual(readdirSync(tmp).filter((f) => f.startsWith("fewmul")), [], "the reference's flash is gone (tsx keeps its cache there)");
});

test.serial("a device whose state was perturbed after batch 2: exit 2, batch 2, the perturbed tensor and index", async (t) => {
  const dir = tempDir(t);
  const { emulator, perturbed } = await perturbedEmulator(t, dir, MODEL);

  const r = await runMain(["validate", "--port", emulator.port, "--batches", "5", "--model", MODEL, "--json"]);
  t.true(perturbed());
  t.is(r.code, 2, r.stderr);
  t.deepEqual(JSON.parse(r.stdout), { identical: false, batches: 2, first_divergence: { batch: 2, tensor: "layer1.running_mean", index: 3 } });
  t.regex(r.stderr, /^error: device diverged from the emulator at batch 2: layer1\.running_mean\[3\]$/m);

  const missing = await runMain(["validate", "--port", "/dev/fewmul-none"]);
  t.is(missing.code, 1);
  t.regex(missing.stderr, /^error: serial port \/dev\/fewmul-none does not exist/m);
});
