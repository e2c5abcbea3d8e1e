// Shared by the CLI tests (not a test file: ava runs *.test.ts only).
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { ExecutionContext } from "ava";
import { loadBoard } from "../../host/boards/manifest.ts";
import { main } from "../../host/cli/main.ts";
import { startEmulator, type RunningEmulator } from "../../host/emulator/server.ts";
import { EXIT_USAGE } from "../../host/errors.ts";
import { stateTensors } from "../../host/module/state-layout.ts";
import type { DeviceExports, InProcessTransport } from "../../host/transports/in-process.ts";
import { DeviceModel } from "../../host/module/device-model.ts";
import { parseModelSpec } from "../../host/module/conv-spec.ts";
import { mnistDigits } from "../../host/datasets/mnist-package.ts";
import { BatchSource } from "../../host/training/run.ts";
import { crc32 } from "../../host/crc32.ts";
import { STATE_O_DIGEST, STATE_O_SPEC } from "../../assembly/shared/state.ts";
import { A_PONG } from "../../assembly/shared/arena.ts";
import { arenaTensors } from "../../host/module/arena.ts";

export const repoRoot = resolve(fileURLToPath(new URL("../..", import.meta.url)));
export const BIN = join(repoRoot, "bin", "fewmul.js");

export interface CliResult { code: number; stdout: string; stderr: string }

/** A fresh temp dir removed when the test ends. */
export function tempDir(t: ExecutionContext, prefix = "fewmul-cli-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** `node bin/fewmul.js ...args` as a child process: the real exit code and streams. */
export function runCli(args: string[], options: { cwd?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return new Promise((done) => {
    execFile(process.execPath, [BIN, ...args], {
      cwd: options.cwd ?? repoRoot, timeout: options.timeoutMs ?? 60_000,
      env: { ...process.env, NO_COLOR: "1", ...options.env }, maxBuffer: 16 << 20,
    }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
      done({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/**
 * main(args) in this process with stdout and stderr captured: the one in-process CLI runner
 * of the tests (test/boards uses it too). Only from test.serial: the streams are shared by
 * every test of the file.
 */
export async function runMain(args: string[]): Promise<CliResult> {
  const out: string[] = [], err: string[] = [];
  const write = { out: process.stdout.write, err: process.stderr.write };
  const capture = (into: string[]) => ((chunk: unknown, ...rest: unknown[]) => {
    into.push(typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString());
    const cb = rest.find((r) => typeof r === "function") as (() => void) | undefined;
    cb?.();
    return true;
  }) as typeof process.stdout.write;
  process.stdout.write = capture(out);
  process.stderr.write = capture(err);
  try {
    const code = await main(args);
    return { code, stdout: out.join(""), stderr: err.join("") };
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
  }
}

/**
 * A user error as the CLI must report it: exit code 1, exactly one `error:` line on stderr
 * that contains every part, and no stack trace anywhere.
 */
export function assertUserError(t: ExecutionContext, r: CliResult, ...parts: string[]): string {
  return assertError(t, r, 1, parts);
}

/** A usage error (the command line itself is wrong): as assertUserError, with exit code 2. */
export function assertUsageError(t: ExecutionContext, r: CliResult, ...parts: string[]): string {
  return assertError(t, r, EXIT_USAGE, parts);
}

function assertError(t: ExecutionContext, r: CliResult, code: number, parts: string[]): string {
  t.is(r.code, code, `exit code (stderr: ${r.stderr})`);
  const errors = r.stderr.split("\n").filter((l) => l.startsWith("error:"));
  t.is(errors.length, 1, `one error line expected in:\n${r.stderr}`);
  const line = errors[0] ?? "";
  for (const p of parts) t.true(line.includes(p), `"${line}" lacks "${p}"`);
  t.false(/^\s+at\s/m.test(r.stderr), `stack trace in stderr:\n${r.stderr}`);
  t.false(/^\s+at\s/m.test(r.stdout), `stack trace in stdout:\n${r.stdout}`);
  return line;
}

/** Files in `dir` (recursively) that a failed atomic write could have left. */
export function tmpFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".tmp"));
}

/** A TCP port nothing listens on (bound, then released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** The state blob of a freshly initialised model (no training): a valid model file. */
export function freshModelBlob(spec: string, seed = 1): Uint8Array {
  const m = new DeviceModel({ ramBytes: 64 << 20 });
  m.init(parseModelSpec(spec), seed);
  return m.saveState();
}

/** The state blob of a model trained in this process (DeviceModel) on `batches` MNIST batches. */
export function trainedModelBlob(spec: string, batches: number, seed = 1): Uint8Array {
  const { train } = mnistDigits();
  const s = parseModelSpec(spec);
  const m = new DeviceModel({ ramBytes: 64 << 20 });
  m.init(s, seed);
  const source = new BatchSource(train, s.batch, seed);
  for (let id = 1; id <= batches; id++) {
    const { images, labels } = source.get(id);
    m.train(images, labels);
  }
  return m.saveState();
}

/**
 * An emulated board on a local socket whose device goes wrong after its second training step:
 * layer1.running_mean[3] of model `spec` is moved by 2^20 before the next request. Running
 * means are only ever pulled towards the batch statistics (r += (batch - r) >> 4), so the
 * perturbed one stays the first difference `fewmul validate` finds. Closed when the test ends.
 */
export async function perturbedEmulator(t: ExecutionContext, dir: string, spec: string): Promise<{ emulator: RunningEmulator; perturbed: () => boolean }> {
  const emulator = await startEmulator({ board: loadBoard("emulator"), listen: "socket://127.0.0.1:0", flashFile: join(dir, "device.flash") });
  t.teardown(() => emulator.close());
  const slots = stateTensors(freshModelBlob(spec));
  const step = slots.find((s) => s.name === "step")!;
  const mean = slots.find((s) => s.name === "layer1.running_mean")!;
  const device = emulator.device as InProcessTransport;
  const write = device.write.bind(device);
  let perturbed = false;
  device.write = (bytes) => {
    // before the first request the device gets after its second training step (STATS)
    const x = device.exports as DeviceExports & { state_ptr(): number };
    const state = device.memory.data(x.state_ptr());
    if (!perturbed && state.getUint32(step.offset, true) === 2) {
      const at = mean.offset + 3 * mean.size;
      state.setInt32(at, state.getInt32(at, true) + (1 << 20), true);
      perturbed = true;
    }
    return write(bytes);
  };
  return { emulator, perturbed: () => perturbed };
}

/** Rewrites the digest of a blob whose contents were changed on purpose. */
export function reseal(blob: Uint8Array): Uint8Array {
  new DataView(blob.buffer, blob.byteOffset, blob.byteLength).setUint32(STATE_O_DIGEST, crc32(blob.subarray(STATE_O_SPEC)), true);
  return blob;
}

/**
 * The device module's own predictions (`predict`) and correct counts (`evaluate`), batch by
 * batch, and the int32 output scores `evaluate` left in the output layer's sums buffer (its
 * "pong", assembly/shared/arena.ts), [count][classes].
 */
export function devicePredictions(blob: Uint8Array, images: Uint8Array, labels: Uint8Array, count: number) {
  const m = new DeviceModel({ ramBytes: 64 << 20 });
  m.loadState(blob);
  const x = m.mod.exports, B = m.spec.batch, f = m.spec.sizes[0], classes = m.spec.sizes[m.spec.sizes.length - 1];
  const pong = x.state_ptr() + arenaTensors(m.spec).find((a) => a.tensor === A_PONG)!.offset;
  const predictions = new Uint8Array(count), scores = new Int32Array(count * classes);
  const correct: number[] = [];
  for (let at = 0; at < count; at += B) {
    const n = Math.min(B, count - at);
    correct.push(m.evaluate(images.subarray(at * f, (at + n) * f), labels.subarray(at, at + n), n));
    scores.set(m.mod.mem.i32(pong, n * classes), at * classes);
    // evaluate left this batch's inputs in place; predict overwrites the labels with classes
    if (x.predict(n) !== n) throw new Error("predict failed");
    predictions.set(m.mod.mem.u8(x.batch_labels_ptr(), n), at);
  }
  return { predictions, correct, scores };
}
