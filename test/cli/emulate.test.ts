// `fewmul emulate` as a real child process: the port on the first stdout line, clients
// served there, a clean exit 0 on SIGTERM or SIGINT.
import test, { type ExecutionContext } from "ava";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadBoard } from "../../host/boards/manifest.ts";
import { encodeSpec, parseSpec } from "../../host/module/spec.ts";
import { Session } from "../../host/protocol/session.ts";
import { SocketTransport } from "../../host/transports/socket.ts";
import { BIN, freshModelBlob, repoRoot, runMain, tempDir } from "./helpers.ts";

interface Emulator { port: string; firstLine: string; stop(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> }

async function emulate(t: ExecutionContext, args: string[]): Promise<Emulator> {
  const child = spawn(process.execPath, [BIN, "emulate", ...args], { cwd: repoRoot, env: { ...process.env, NO_COLOR: "1" } });
  let stdout = "", stderr = "";
  child.stderr.on("data", (d) => { stderr += d; });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on("exit", (code, signal) => r({ code, signal })));
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL"); });
  const firstLine = await new Promise<string>((resolve, reject) => {
    // a liveness bound, not a timing: the CLI's start (tsx compiling it) took over 20 s on a
    // 2-core machine with every core busy
    const timer = setTimeout(() => reject(new Error(`no port line within 60 s; stderr: ${stderr}`)), 60_000);
    child.stdout.on("data", (d) => {
      stdout += d;
      if (stdout.includes("\n")) { clearTimeout(timer); resolve(stdout.slice(0, stdout.indexOf("\n"))); }
    });
    void exited.then(({ code }) => reject(new Error(`emulate exited ${code} before printing a port; stderr: ${stderr}`)));
  });
  const port = firstLine.startsWith("{") ? JSON.parse(firstLine).port : firstLine;
  return {
    port, firstLine,
    async stop(signal) {
      child.kill(signal);
      const end = await exited;
      return { ...end, stdout, stderr };
    },
  };
}

test.serial("serves on the port of its first stdout line; SIGTERM closes it with exit 0", async (t) => {
  const dir = tempDir(t);
  const emu = await emulate(t, ["--board", "emulator", "--listen", "socket://127.0.0.1:0", "--flash", join(dir, "served.flash")]);
  t.regex(emu.port, /^socket:\/\/127\.0\.0\.1:\d+$/);
  t.not(emu.port, "socket://127.0.0.1:0");

  // A whole eval through it gives what the in-process emulator gives.
  const model = join(dir, "fresh.fewmul");
  writeFileSync(model, freshModelBlob("784-16-10:tc", 3));
  const served = await runMain(["eval", "--port", emu.port, "--model-file", model, "--json"]);
  t.is(served.code, 0, served.stderr);
  const direct = await runMain(["eval", "--port", "emulator", "--flash", join(dir, "direct.flash"), "--model-file", model, "--json"]);
  t.is(direct.code, 0, direct.stderr);
  t.deepEqual(JSON.parse(served.stdout), JSON.parse(direct.stdout));

  const end = await emu.stop("SIGTERM");
  t.is(end.code, 0, end.stderr);
  t.is(end.stdout, `${emu.port}\n`); // the port line and nothing else
  t.false(/error|\bat\s/.test(end.stderr), end.stderr);
});

test.serial("--paced --json: one JSON line, bytes no faster than the board's baud rate, SIGINT exits 0", async (t) => {
  const dir = tempDir(t);
  const emu = await emulate(t, ["--listen", "socket://127.0.0.1:0", "--paced", "--json", "--flash", join(dir, "paced.flash")]);
  t.deepEqual(JSON.parse(emu.firstLine), { port: emu.port, board: "emulator" });
  const baud = loadBoard("emulator").baud;
  const session = new Session(await SocketTransport.open(emu.port), { baud });
  try {
    const info = await session.hello();
    t.is(info.maxFrame, 512);
    await session.init(encodeSpec(parseSpec("784-32-10:tc")), 1);
    // A lower bound, not a time budget: a UART at `baud` carries baud/10 bytes a second, so
    // the state (~50 KB) cannot arrive sooner than this however fast or slow the machine is;
    // unpaced it takes a few milliseconds. (10% slack: Node's timers may fire a little early.)
    const started = performance.now();
    const state = await session.readState();
    const elapsed = performance.now() - started;
    const wire = (state.length * 10 * 1000) / baud;
    t.true(elapsed >= 0.9 * wire, `${state.length} bytes in ${elapsed.toFixed(0)} ms; at ${baud} baud they need ${wire.toFixed(0)} ms`);
  } finally {
    await session.close();
  }
  const end = await emu.stop("SIGINT");
  t.is(end.code, 0, end.stderr);
  t.is(end.stdout.trim().split("\n").length, 1);
});
