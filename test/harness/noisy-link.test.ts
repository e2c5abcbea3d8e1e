// Training through a byte-damaging proxy process between `fewmul train` and `fewmul emulate`,
// on a TCP socket and on a pty (socat): every seeded run (training, checkpoints, evaluation and
// the end-of-run calibration, all through the damaged line) ends on the clean run's state
// digest with every batch applied exactly once.
import test from "ava";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { proxyCounts, runFewmul, startEmulator, startProxy } from "./processes.ts";
import { idx } from "../datasets/helpers.ts";

const hasSocat = spawnSync("socat", ["-V"], { stdio: "ignore" }).status === 0;

/** A small IDX dataset: 8x8 images of 4 classes (256 train, 64 test samples). */
function writeDataset(dir: string): void {
  let x = 12345;
  const rnd = () => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), x >>> 0);
  const write = (prefix: string, n: number) => {
    const labels = Uint8Array.from({ length: n }, () => rnd() % 4);
    const images = new Uint8Array(n * 64);
    labels.forEach((c, s) => { for (let i = 0; i < 64; i++) images[s * 64 + i] = (i % 4 === c ? 170 : 0) + (rnd() & 63); });
    writeFileSync(join(dir, `${prefix}-images-idx3-ubyte`), idx([n, 8, 8], images));
    writeFileSync(join(dir, `${prefix}-labels-idx1-ubyte`), idx([n], labels));
  };
  write("train", 256);
  write("t10k", 64);
}

const dir = mkdtempSync(join(tmpdir(), "fewmul-noisy-"));
const data = join(dir, "data");
mkdirSync(data);
writeDataset(data);
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

const BATCHES = 16;
const trainArgs = (port: string, name: string) => [
  "train", "--board", "emulator", "--port", port, "--dataset", "idx", "--data", data,
  "--model", "64-32-10:tc,decay=16", "--batch", "16", "--epochs", "1", "--seed", "3", "--checkpoint-every", "5",
  "--out", join(dir, `${name}.fewmul`), "--flash", join(dir, `${name}.host.flash`), "--json",
];

interface Outcome { digest: string; samples: number; step: number; stderr: string }
function outcome(name: string, r: { code: number; stdout: string; stderr: string }): Outcome {
  if (r.code !== 0) throw new Error(`train exited ${r.code}: ${r.stderr}`);
  const out = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
  const blob = readFileSync(join(dir, `${name}.fewmul`));
  return { digest: out.state_digest, samples: out.samples, step: blob.readUInt32LE(80), stderr: r.stderr };
}

const clean = (async () => outcome("clean", await runFewmul([...trainArgs("emulator", "clean"), "--link", "direct"])))();

const FAULTS = { ber: 1e-4, byteDrop: 1e-4, chunkDrop: 0.02, chunkDup: 0.02, stall: 0.01, stallMs: 80, burst: 0.01, burstLen: 12, both: true };

const cases: { name: string; listen: string; seed: number }[] = [
  { name: "socket-1", listen: "socket://127.0.0.1:0", seed: 1 },
  { name: "socket-2", listen: "socket://127.0.0.1:0", seed: 2 },
  ...(hasSocat ? [{ name: "pty-1", listen: "pty", seed: 1 }] : []),
];

for (const c of cases) {
  test.serial(`train through the noisy proxy (${c.name}) ends on the clean digest, every batch once`, async (t) => {
    const emulator = await startEmulator(["--listen", "socket://127.0.0.1:0", "--flash", join(dir, `${c.name}.flash`)]);
    const proxy = await startProxy(emulator.port, c.listen, { seed: c.seed, ...FAULTS });
    try {
      const got = outcome(c.name, await runFewmul(trainArgs(proxy.port, c.name)));
      const want = await clean;
      t.is(got.digest, want.digest);
      t.is(got.step, BATCHES, "every batch trained exactly once");
      t.is(got.samples, BATCHES * 16);
      const counts = proxyCounts(await proxy.stop());
      t.log(`faults ${JSON.stringify(counts.total)}`);
      t.true(counts.total.flips > 0 && counts.total.chunksDropped + counts.total.bytesDropped > 0, "the line really was damaged");
    } finally {
      await proxy.stop();
      await emulator.stop();
    }
  });
}

test.serial("the clean run itself", async (t) => {
  const want = await clean;
  t.is(want.step, BATCHES);
  t.regex(want.digest, /^[0-9a-f]{8}$/);
});

if (!hasSocat) test("pty cases need socat", (t) => { t.log("socat not installed: pty case not run"); t.pass(); });
