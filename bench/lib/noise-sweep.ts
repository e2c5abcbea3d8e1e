// The noise sweep of bench:link: `fewmul train` -> noisy proxy -> `fewmul emulate`, three
// processes, one epoch of 784-128-10 on the bundled MNIST digits per line condition.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { proxyCounts, runFewmul, startEmulator, startProxy } from "../../test/harness/processes.ts";
import { say } from "./args.ts";
import { CALIBRATION_SAMPLES } from "../../host/training/run.ts";

const MODEL = "784-128-10:tc";
// Batch bytes the host must upload for one epoch (inputs + labels): the mnist package's 8,000
// training digits (250 batches of 32), the test set's 2,000 evaluated after the epoch, the
// end-of-run calibration over the training digits and the evaluation after it.
const TRAIN = 8000, TEST = 2000;
const PAYLOAD = (TRAIN + Math.floor(Math.min(CALIBRATION_SAMPLES, TRAIN) / 32) * 32 + 2 * TEST) * 785;

export interface NoiseRow { ber: number; chunkDrop: number; wall_s: number; relative: number; wire_per_payload: number; resyncs: number; digest: string; same_digest: boolean }

async function one(dir: string, name: string, ber: number, chunkDrop: number, seed: number) {
  const emulator = await startEmulator(["--listen", "socket://127.0.0.1:0", "--flash", join(dir, `${name}.flash`)]);
  const proxy = await startProxy(emulator.port, "socket://127.0.0.1:0", { seed, ber, chunkDrop, both: true });
  try {
    const r = await runFewmul(["train", "--board", "emulator", "--port", proxy.port, "--model", MODEL, "--epochs", "1",
      "--seed", "1", "--out", join(dir, `${name}.fewmul`), "--json"], { timeoutMs: 900_000 });
    if (r.code !== 0) throw new Error(`train (${name}) exited ${r.code}: ${r.stderr.slice(-500)}`);
    const out = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
    const counts = proxyCounts(await proxy.stop());
    const resyncs = (r.stderr.match(/link recovered/g) ?? []).length;
    return { wall: r.ms / 1000, toDevice: counts.toDevice.bytesIn, resyncs, digest: out.state_digest as string };
  } finally {
    await proxy.stop();
    await emulator.stop();
  }
}

export async function noiseSweep(quick: boolean): Promise<NoiseRow[]> {
  const dir = mkdtempSync(join(tmpdir(), "fewmul-bench-noise-"));
  try {
    const bers = quick ? [0, 1e-5] : [0, 1e-6, 1e-5, 1e-4];
    const rows: NoiseRow[] = [];
    let clean: Awaited<ReturnType<typeof one>> | undefined;
    for (const chunkDrop of [0, 0.002]) {
      for (const ber of bers) {
        const r = await one(dir, `n${ber}-${chunkDrop}`, ber, chunkDrop, 7);
        clean ??= r;
        const row = {
          ber, chunkDrop, wall_s: r.wall, relative: r.wall / clean.wall, wire_per_payload: r.toDevice / PAYLOAD,
          resyncs: r.resyncs, digest: r.digest, same_digest: r.digest === clean.digest,
        };
        rows.push(row);
        say(`noise: BER ${ber.toExponential(0)}, chunk drops ${(100 * chunkDrop).toFixed(1)} %: ${row.wall_s.toFixed(1)} s (${row.relative.toFixed(2)}x clean), ${row.wire_per_payload.toFixed(3)} wire bytes/payload byte, ${row.resyncs} resyncs, digest ${row.digest}${row.same_digest ? " (= clean)" : " DIFFERS"}`);
      }
    }
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
