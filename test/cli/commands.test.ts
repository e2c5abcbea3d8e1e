// The commands that only look things up (boards, ports, build of the emulator board, help,
// version) and the failures of flash that need no QEMU: success and failure of each.
import test from "ava";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { commandArgs, subCommands } from "../../host/cli/main.ts";
import { listBoards, loadBoard } from "../../host/boards/manifest.ts";
import { assertUsageError, assertUserError, repoRoot, runCli, runMain } from "./helpers.ts";

const plain = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, "");
const packageVersion: string = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")).version;

/** Where each cell of a table line starts: after the line start or two spaces. */
const cellStarts = (line: string) => [...line.matchAll(/(?<=^|  )\S/g)].map((m) => m.index);

test("fewmul, fewmul --help and fewmul help: the command list, exit 0", async (t) => {
  const bare = await runCli([]);
  t.is(bare.code, 0, bare.stderr);
  t.is(bare.stderr, "");
  t.notRegex(bare.stdout, /[ \t]$/m, "no trailing spaces");
  for (const name of Object.keys(subCommands)) t.regex(bare.stdout, new RegExp(`^\\s+${name}\\s{2,}\\S`, "m"), `${name} listed`);
  t.is((await runCli(["--help"])).stdout, bare.stdout);
  t.is((await runCli(["help"])).stdout, bare.stdout);
});

test("--version and -v print package.json's version", async (t) => {
  for (const flag of ["--version", "-v"]) {
    const r = await runCli([flag]);
    t.is(r.code, 0, r.stderr);
    t.is(r.stdout, `${packageVersion}\n`);
  }
  assertUsageError(t, await runCli(["--version", "now"]), 'unexpected argument "now"');
});

test.serial("fewmul help <command> is fewmul <command> --help: every option, each default once", async (t) => {
  for (const [name, load] of Object.entries(subCommands)) {
    const viaHelp = await runMain(["help", name]);
    const viaFlag = await runMain([name, "--help"]);
    t.is(viaHelp.code, 0, viaHelp.stderr);
    t.is(viaFlag.code, 0, viaFlag.stderr);
    t.is(viaHelp.stdout, viaFlag.stdout, name);
    t.notRegex(viaHelp.stdout, /[ \t]$/m, `${name}: no trailing spaces`);
    t.is(viaHelp.stdout, (await runMain([name, "-h", "--epoch"])).stdout, `${name}: help wins over a bad option`);
    t.is(viaHelp.stdout, (await runMain(["--help", name])).stdout, `fewmul --help ${name}`);
    const text = plain(viaHelp.stdout);
    const args = await commandArgs(await load());
    for (const [option, def] of Object.entries(args)) {
      const line = text.split("\n").find((l) => new RegExp(`^\\s*(-\\w, )*--${option}(?![\\w-])`).test(l));
      t.truthy(line, `${name} --${option} in the help`);
      t.true((line?.match(/default/gi) ?? []).length <= 1, `${name} --${option}: default once in "${line?.trim()}"`);
      if (def.default !== undefined) t.true(line?.includes(`(Default: ${def.default})`), `${name} --${option}: "${line?.trim()}"`);
    }
  }
  assertUsageError(t, await runMain(["help", "trian"]), 'unknown command "trian"; did you mean train?');
  assertUsageError(t, await runMain(["help", "train", "eval"]), 'unexpected argument "eval"');
});

test.serial("boards: every manifest, in columns that line up; --json the manifests", async (t) => {
  const r = await runMain(["boards"]);
  t.is(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split("\n");
  t.deepEqual(lines[0].split(/\s{2,}/), ["id", "name", "mcu", "RAM", "flash", "baud", "runtime/flasher"]);
  t.deepEqual(lines.slice(1).map((l) => l.split(" ")[0]), listBoards());
  for (const line of lines) t.deepEqual(cellStarts(line), cellStarts(lines[0]), `aligned: "${line}"`);
  const an385 = lines.find((l) => l.startsWith("qemu-mps2-an385 "))!.split(/\s{2,}/);
  t.deepEqual(an385.slice(3), ["1024 KiB", "4096 KiB", "115200", "wasm2c/qemu"]);

  const json = await runMain(["boards", "--json"]);
  t.is(json.code, 0, json.stderr);
  t.deepEqual(JSON.parse(json.stdout), listBoards().map(loadBoard));
  assertUsageError(t, await runMain(["boards", "--board", "emulator"]), "unknown option --board");
});

test.serial("ports: the emulator first, then the serial ports; --json the same list", async (t) => {
  const r = await runMain(["ports"]);
  t.is(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split("\n");
  t.regex(lines[0], /^emulator\s+\(built-in\)$/);
  for (const line of lines) t.is(cellStarts(line)[1], cellStarts(lines[0])[1], `aligned: "${line}"`);
  const json = await runMain(["ports", "--json"]);
  t.is(json.code, 0, json.stderr);
  const ports = JSON.parse(json.stdout) as { path: string; source: string }[];
  t.deepEqual(ports[0], { path: "emulator", source: "built-in" });
  t.deepEqual(ports.map((p) => p.path), lines.map((l) => l.split(/\s{2,}/)[0]));
  assertUsageError(t, await runMain(["ports", "--list"]), "unknown option --list");
});

test.serial("build --board emulator: the module and its size; an unknown board fails", async (t) => {
  const r = await runMain(["build", "--board", "emulator", "--json"]);
  t.is(r.code, 0, r.stderr);
  const o = JSON.parse(r.stdout);
  t.deepEqual(Object.keys(o).sort(), ["board", "module", "module_bytes", "module_compiled"]);
  t.is(o.module, join("build", "fewmul.wasm"));
  t.is(o.module_bytes, statSync(join(repoRoot, "build", "fewmul.wasm")).size);
  assertUserError(t, await runMain(["build", "--board", "no-such-board"]), 'unknown board "no-such-board"');
});

test.serial("flash: the mistakes found before QEMU starts", async (t) => {
  assertUserError(t, await runMain(["flash", "--board", "emulator"]), "board emulator needs no flashing");
  assertUsageError(t, await runMain(["flash"]), "--board is required");
  assertUsageError(t, await runMain(["flash", "--board", "qemu-mps2-an385", "--port", "tcp:1234"]), "--port must be pty or socket://127.0.0.1:PORT", '"tcp:1234"');
});
