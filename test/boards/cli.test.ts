// `fewmul build` and `fewmul flash` for the QEMU boards: the image lands in build/<board>/
// with its sizes printed; flash serves the board until SIGTERM and leaves no QEMU behind, and
// the unchanged `validate` command trains against it.
import test from "ava";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { runMain as cli } from "../cli/helpers.ts";

const BIN = fileURLToPath(new URL("../../bin/fewmul.js", import.meta.url));
const ROOT = fileURLToPath(new URL("../../", import.meta.url));

test.serial("build --board <qemu board> --json: firmware in build/<board>/ and its sizes", async (t) => {
  for (const id of ["qemu-mps2-an385", "qemu-mps2-an386"]) {
    const r = await cli(["build", "--board", id, "--json"]);
    t.is(r.code, 0, r.stderr);
    const o = JSON.parse(r.stdout);
    t.is(o.board, id);
    t.is(o.elf, `build/${id}/fw.elf`.replace(/^/, "")); // relative to the cwd (the repo)
    t.true(existsSync(`${ROOT}build/${id}/fw.elf`) && existsSync(`${ROOT}build/${id}/fw.bin`));
    for (const k of ["text", "data", "bss", "module_bytes"]) t.true(Number.isInteger(o[k]), k);
    t.true(o.text > 10_000 && o.bss > 2 << 20, `text ${o.text}, bss ${o.bss}`);
    t.true(o.firmware_rebuilt);
    t.is(r.stdout.trim().split("\n").length, 1, "one JSON object");
  }
});

test.serial("build --board emulator: the module only", async (t) => {
  const r = await cli(["build", "--board", "emulator", "--json"]);
  t.is(r.code, 0, r.stderr);
  const o = JSON.parse(r.stdout);
  t.deepEqual(Object.keys(o).sort(), ["board", "module", "module_bytes", "module_compiled"]);
  t.true(o.module_bytes > 1000);
});

test.serial("flash: user mistakes are one-line errors", async (t) => {
  const bad = await cli(["flash", "--board", "qemu-mps2-an385", "--port", "tcp:1234"]);
  t.is(bad.code, 2, "a usage error");
  t.is(bad.stderr.trim(), `error: --port must be pty or socket://127.0.0.1:PORT, got "tcp:1234"`);
  const emu = await cli(["flash", "--board", "emulator"]);
  t.is(emu.code, 1);
  t.regex(emu.stderr.trim(), /^error: board emulator needs no flashing/);
  t.is(emu.stderr.trim().split("\n").length, 1);
});

test.serial("flash serves the board until SIGTERM; validate trains against it unchanged", async (t) => {
  const child = spawn(process.execPath, [BIN, "flash", "--board", "qemu-mps2-an385", "--json"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "", stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => { stdout += d; });
  child.stderr.setEncoding("utf8").on("data", (d: string) => { stderr += d; });
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  try {
    const deadline = Date.now() + 60_000;
    while (!stdout.includes("\n")) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`flash did not announce a port: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const first = JSON.parse(stdout.split("\n")[0]);
    t.regex(first.port, /^\/dev\/pts\/\d+$/);
    t.is(first.board, "qemu-mps2-an385");
    const v = await cli(["validate", "--board", "qemu-mps2-an385", "--port", first.port, "--batches", "2", "--model", "784-32-10:tc,batch=16", "--json"]);
    t.is(v.code, 0, v.stderr);
    t.deepEqual(JSON.parse(v.stdout), { identical: true, batches: 2, first_divergence: null });

    child.kill("SIGTERM");
    t.is(await exited, 0, `flash exits 0 on SIGTERM (${stderr})`);
    t.throws(() => process.kill(first.pid, 0), undefined, "no QEMU left behind");
  } finally {
    if (child.exitCode === null) child.kill("SIGKILL");
  }
});
