// Every class of user mistake: one `error:` line that says what is wrong with what, exit
// code 1 (2 for a wrong command line), no stack trace, and no output file (complete or partial) left behind. Real child
// processes (`node bin/fewmul.js`), so exit codes and streams are the real ones.
import test, { type ExecutionContext } from "ava";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { encodeFrame, FrameDecoder } from "../../host/protocol/frame.ts";
import { Cmd, REPLY_BIT } from "../../host/protocol/opcodes.ts";
import { Status } from "../../host/protocol/status.ts";
import { assertUsageError, assertUserError, freePort, freshModelBlob, runCli, tempDir, tmpFiles } from "./helpers.ts";

/** A directory to run in, with where train would write; checks nothing was written there. */
function workspace(t: ExecutionContext) {
  const dir = tempDir(t);
  const out = join(dir, "model.fewmul");
  return {
    dir, out,
    trainArgs: ["--out", out, "--flash", join(dir, "dev.flash")],
    assertNoOutput() {
      t.false(existsSync(out), "no model file");
      t.false(existsSync(`${out}.ckpt`), "no checkpoint file");
      t.deepEqual(tmpFiles(dir), [], "no temp files");
    },
  };
}

/** An MNIST-format IDX file. */
function idx(dims: number[], data: Uint8Array, magic = [0, 0, 8, dims.length]): Buffer {
  const b = Buffer.alloc(4 + 4 * dims.length + data.length);
  b.set(magic);
  dims.forEach((d, i) => b.writeUInt32BE(d, 4 + 4 * i));
  b.set(data, 4 + 4 * dims.length);
  return b;
}

const images = (n: number) => idx([n, 28, 28], new Uint8Array(n * 784).map((_, i) => i % 251));
const labels = (n: number) => idx([n], new Uint8Array(n).map((_, i) => i % 10));

/** A local server standing in for a device. */
async function fakeDevice(t: ExecutionContext, onFrame: ((seq: number, cmd: number, reply: (status: number, body?: number[]) => void) => void) | null): Promise<string> {
  const server: Server = createServer((socket) => {
    const decoder = new FrameDecoder();
    socket.on("error", () => {});
    socket.on("data", (chunk) => {
      if (!onFrame) return; // silent
      for (const f of decoder.push(chunk)) {
        if (!f.ok) continue;
        onFrame(f.seq, f.cmd, (status, body = []) => {
          socket.write(Uint8Array.of(0, ...encodeFrame(f.seq, f.cmd | REPLY_BIT, Uint8Array.of(status & 0xff, ...body))));
        });
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.teardown(() => new Promise<void>((r) => { server.close(() => r()); server.unref(); }));
  return `socket://127.0.0.1:${(server.address() as { port: number }).port}`;
}

test("unknown command", async (t) => {
  const r = await runCli(["frobnicate"]);
  assertUsageError(t, r, 'unknown command "frobnicate"');
});

test("bad --epochs: not a number, zero", async (t) => {
  const w = workspace(t);
  for (const bad of ["three", "0", "1.5"]) {
    const r = await runCli(["train", "--epochs", bad, ...w.trainArgs], { cwd: w.dir });
    assertUsageError(t, r, "--epochs", `"${bad}"`);
  }
  w.assertNoOutput();
});

test("unknown board, for train, eval and emulate", async (t) => {
  const w = workspace(t);
  for (const command of ["train", "eval", "emulate"]) {
    const r = await runCli([command, "--board", "no-such-board", ...(command === "train" ? w.trainArgs : [])], { cwd: w.dir });
    assertUserError(t, r, 'unknown board "no-such-board"', "emulator");
  }
  w.assertNoOutput();
});

test("missing serial port", async (t) => {
  const w = workspace(t);
  const r = await runCli(["train", "--port", "/dev/does-not-exist", ...w.trainArgs], { cwd: w.dir });
  assertUserError(t, r, "/dev/does-not-exist", "does not exist");
  w.assertNoOutput();
});

test("socket with nothing listening", async (t) => {
  const w = workspace(t);
  const port = `socket://127.0.0.1:${await freePort()}`;
  const r = await runCli(["train", "--port", port, ...w.trainArgs], { cwd: w.dir });
  assertUserError(t, r, `cannot connect to ${port}`);
  w.assertNoOutput();
});

test("socket where nothing answers the handshake", async (t) => {
  const w = workspace(t);
  const port = await fakeDevice(t, null);
  const r = await runCli(["train", "--port", port, ...w.trainArgs], { cwd: w.dir });
  assertUserError(t, r, `no fewmul device answers on ${port}`);
  w.assertNoOutput();
});

test("device speaking another protocol version", async (t) => {
  const w = workspace(t);
  let hellos = 0;
  const port = await fakeDevice(t, (_seq, cmd, reply) => {
    if (cmd === Cmd.HELLO) { hellos++; reply(Status.E_PROTO_VERSION, [3, 0]); } // "I speak v3"
    else reply(Status.E_NOSYNC);
  });
  const r = await runCli(["train", "--port", port, ...w.trainArgs], { cwd: w.dir });
  assertUserError(t, r, `device on ${port} refused the handshake`, "protocol version");
  t.true(hellos >= 1);
  w.assertNoOutput();
});

/** An IDX dataset directory in the workspace holding `files`, and `fewmul train` on a directory. */
function idxData(w: ReturnType<typeof workspace>, files: Record<string, Uint8Array>) {
  const data = join(w.dir, "data");
  mkdirSync(data);
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(data, name), bytes);
  const train = (dir = data) => runCli(["train", "--dataset", "idx", "--data", dir, "--link", "direct", ...w.trainArgs], { cwd: w.dir });
  return { data, train };
}

test("IDX dataset with a bad magic number", async (t) => {
  const w = workspace(t);
  const { data, train } = idxData(w, {
    "train-images-idx3-ubyte": images(64).fill(0x12, 0, 2), // 12 12 08 03: not an IDX file
    "train-labels-idx1-ubyte": labels(64),
  });
  assertUserError(t, await train(), join(data, "train-images-idx3-ubyte"), "bad magic");
  w.assertNoOutput();
});

test("IDX dataset with a truncated gzip file", async (t) => {
  const w = workspace(t);
  const gz = gzipSync(images(64));
  const { data, train } = idxData(w, {
    "train-images-idx3-ubyte.gz": gz.subarray(0, gz.length >> 1),
    "train-labels-idx1-ubyte.gz": gzipSync(labels(64)),
  });
  assertUserError(t, await train(), join(data, "train-images-idx3-ubyte.gz"), "corrupt gzip");
  w.assertNoOutput();
});

test("IDX images and labels that disagree, and a missing directory", async (t) => {
  const w = workspace(t);
  const { data, train } = idxData(w, { "train-images-idx3-ubyte": images(64), "train-labels-idx1-ubyte": labels(63) });
  assertUserError(t, await train(), join(data, "train-labels-idx1-ubyte"), "63 labels", "64 images");
  assertUserError(t, await train(join(w.dir, "nowhere")), join(w.dir, "nowhere"), "not found");
  w.assertNoOutput();
});

test("model too big for the board: the device's E_NOMEM", async (t) => {
  const w = workspace(t);
  const r = await runCli(["train", "--board", "emulator", "--model", "784-4096-10", "--link", "direct", ...w.trainArgs], { cwd: w.dir });
  assertUserError(t, r, "does not fit", "RAM");
  w.assertNoOutput();
});

test("eval: a model file with a flipped byte is refused by its checksum", async (t) => {
  const w = workspace(t);
  const blob = freshModelBlob("784-16-10:tc");
  blob[200] ^= 0x01;
  const file = join(w.dir, "flipped.fewmul");
  writeFileSync(file, blob);
  const r = await runCli(["eval", "--model-file", file, "--flash", join(w.dir, "dev.flash")], { cwd: w.dir });
  assertUserError(t, r, file, "checksum mismatch");
  t.is(r.stdout, "");
});

test("eval: missing, truncated, foreign and checkpoint files", async (t) => {
  const w = workspace(t);
  const eval_ = (file: string) => runCli(["eval", "--model-file", file, "--flash", join(w.dir, "dev.flash")], { cwd: w.dir });
  const missing = join(w.dir, "missing.fewmul");
  assertUserError(t, await eval_(missing), missing, "not found");

  const blob = freshModelBlob("784-16-10:tc");
  const truncated = join(w.dir, "truncated.fewmul");
  writeFileSync(truncated, blob.subarray(0, blob.length - 100));
  assertUserError(t, await eval_(truncated), truncated, "header says");

  const foreign = join(w.dir, "foreign.fewmul");
  writeFileSync(foreign, Buffer.alloc(500, 0x41));
  assertUserError(t, await eval_(foreign), foreign, "not a fewmul model file");

  const ckpt = join(w.dir, "model.fewmul.ckpt");
  writeFileSync(ckpt, Buffer.concat([Buffer.from("FMHC\x01\x00\x00\x00\x05\x00\x00\x00"), blob]));
  assertUserError(t, await eval_(ckpt), ckpt, "checkpoint");
});

test("eval: a model too big for the board, and one for other data", async (t) => {
  const w = workspace(t);
  const big = join(w.dir, "big.fewmul");
  writeFileSync(big, freshModelBlob("784-1024-10:tc")); // 1.6 MB of weights; the emulator board has 512 KiB
  let r = await runCli(["eval", "--model-file", big, "--flash", join(w.dir, "dev.flash")], { cwd: w.dir });
  assertUserError(t, r, big, "does not fit", "emulator");

  const small = join(w.dir, "small.fewmul");
  writeFileSync(small, freshModelBlob("100-16-10:tc"));
  r = await runCli(["eval", "--model-file", small, "--flash", join(w.dir, "dev.flash")], { cwd: w.dir });
  assertUserError(t, r, small, "100 inputs", "784");
});

test("export: a corrupt model file leaves no output", async (t) => {
  const w = workspace(t);
  const blob = freshModelBlob("784-16-10:bc");
  blob[blob.length - 1] ^= 0x80;
  const file = join(w.dir, "corrupt.fewmul");
  writeFileSync(file, blob);
  const r = await runCli(["export", "--model-file", file, "--out", join(w.dir, "out", "m")], { cwd: w.dir });
  assertUserError(t, r, file, "checksum mismatch");
  t.false(existsSync(join(w.dir, "out")));
  t.deepEqual(readdirSync(w.dir).sort(), ["corrupt.fewmul"]);

  const named = await runCli(["export", "--model-file", file, "--out", join(w.dir, "m"), "--name", "9lives"], { cwd: w.dir });
  assertUsageError(t, named, "--name", "C identifier");
});

test("emulate: a --listen that is neither a socket URL nor pty", async (t) => {
  const w = workspace(t);
  const r = await runCli(["emulate", "--listen", "tcp:1234", "--flash", join(w.dir, "dev.flash")], { cwd: w.dir });
  assertUsageError(t, r, "--listen", "tcp:1234");
  t.is(r.stdout, "");
});

test("emulate: a port already in use", async (t) => {
  const w = workspace(t);
  const busy = createServer();
  await new Promise<void>((r) => busy.listen(0, "127.0.0.1", r));
  t.teardown(() => new Promise<void>((r) => busy.close(() => r())));
  const port = (busy.address() as { port: number }).port;
  const r = await runCli(["emulate", "--listen", `socket://127.0.0.1:${port}`, "--flash", join(w.dir, "dev.flash")], { cwd: w.dir });
  assertUserError(t, r, `127.0.0.1:${port}`, "in use");
  t.is(r.stdout, "");
});
