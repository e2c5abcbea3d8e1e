// No command accepts an option it does not define: an unknown option, an unexpected argument
// or a value of the wrong form is a one-line usage error, exit code 2, with the nearest
// option when one is close. The checks are read from each command's own `args`, so they
// are run here over every command of the CLI, whatever options it has today.
import test from "ava";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { ArgsDef } from "citty";
import { commandArgs, subCommands } from "../../host/cli/main.ts";
import { checkArgs, closest } from "../../host/cli/strict-args.ts";
import { UserError } from "../../host/errors.ts";
import { assertUsageError, repoRoot, runCli, runMain, tempDir } from "./helpers.ts";

const commands = await Promise.all(Object.entries(subCommands).map(async ([name, load]) => {
  const args = await commandArgs(await load());
  return { name, args, options: Object.keys(args).filter((o) => args[o].type !== "positional") };
}));

test.serial("every command: an unknown option fails with exit 2 and names the nearest option", async (t) => {
  for (const { name, options } of commands) {
    assertUsageError(t, await runMain([name, "--frobnicate"]), "unknown option --frobnicate");
    for (const option of options) {
      const typo = `${option}x`; // one letter too many
      const r = await runMain([name, `--${typo}`, "1"]);
      assertUsageError(t, r, `unknown option --${typo}; did you mean --${option}?`);
      t.is(r.stdout, "", `${name} --${typo}: nothing on stdout`);
    }
  }
});

test.serial("every command: an unexpected argument fails with exit 2", async (t) => {
  for (const { name, args } of commands) {
    // one more than the command takes
    const taken = Object.values(args).filter((a) => a.type === "positional").map((_, i) => `arg${i}`);
    assertUsageError(t, await runMain([name, ...taken, "stray"]), 'unexpected argument "stray"');
    assertUsageError(t, await runMain([name, "--", ...taken, "stray"]), 'unexpected argument "stray"');
  }
  // a forgotten dash: the option it looks like
  assertUsageError(t, await runMain(["train", "epochs", "3"]), 'unexpected argument "epochs"; did you mean --epochs?');
});

test("the mistakes of issue 14, as a child process: nothing runs, exit 2", async (t) => {
  const dir = tempDir(t);
  const r = await runCli(["train", "--link", "direct", "--epoch", "1", "--modle", "784-16-10", "--batchsize", "8", "--out", join(dir, "m.fewmul")], { cwd: dir });
  assertUsageError(t, r, "unknown option --epoch; did you mean --epochs?");
  t.is(r.stdout, "");
  t.false(existsSync(join(dir, "m.fewmul")));
  t.false(existsSync(join(dir, ".fewmul")), "no emulator flash was created");
  assertUsageError(t, await runCli(["train", "--modle", "784-16-10"], { cwd: dir }), "did you mean --model?");
  assertUsageError(t, await runCli(["train", "--batchsize", "8"], { cwd: dir }), "did you mean --batch?");
  assertUsageError(t, await runCli(["trian"], { cwd: dir }), 'unknown command "trian"; did you mean train?');
  assertUsageError(t, await runCli(["--json", "boards"], { cwd: dir }), "unknown option --json", "follow the command");
});

test.serial("values are checked where they are parsed: the option and what it accepts", async (t) => {
  const cases: [string[], string[]][] = [
    [["train", "--epochs", "three"], ["--epochs must be an integer >= 1", '"three"']],
    [["train", "--epochs", "1.5"], ["--epochs", '"1.5"']],
    [["train", "--epochs="], ["--epochs must be an integer", '""']],
    [["train", "--batch", "-4"], ["--batch must be an integer >= 1", '"-4"']],
    [["train", "--seed", "x"], ["--seed must be an integer >= 0", '"x"']],
    [["train", "--seed="], ["--seed must be an integer >= 0", '""']],
    [["train", "--seed", "0x10"], ["--seed must be an integer >= 0", '"0x10"']],
    [["validate", "--batches", "1e3"], ["--batches must be an integer >= 1", '"1e3"']],
    [["train", "--checkpoint-every", "-1"], ["--checkpoint-every must be an integer >= 0"]],
    [["train", "--link", "tcp"], ["--link must be one of pty, socket, direct", '"tcp"']],
    [["validate", "--batches", "0"], ["--batches must be an integer >= 1"]],
    [["train", "--epochs"], ["--epochs needs a value"]],
    [["boards", "--json=yes"], ["--json takes no value"]],
    [["train", "--no-port"], ["--port is not a yes/no option"]],
    [["flash"], ["--board is required"]],
    [["train", "--link", "direct", "--model", "784-x-10"], ["invalid model spec", "784-x-10"]],
    [["validate", "--model", "784-16-10:xx"], ["invalid model spec", "mode must be bc or tc"]],
    [["train", "--link", "direct", "--batch", "24"], ["invalid model spec", "batch 24"]],
  ];
  for (const command of ["train", "eval", "validate"]) {
    for (const port of ["emulater", "socket://127.0.0.1", "socket://:80", "http://127.0.0.1:80", "ttyACM0"]) {
      cases.push([[command, "--port", port], ["--port must be emulator, socket://HOST:PORT or a serial device path", `"${port}"`]]);
    }
  }
  for (const [argv, parts] of cases) {
    const r = await runMain(argv);
    assertUsageError(t, r, ...parts);
    t.is(r.stdout, "", argv.join(" "));
  }
});

test.serial("what stays accepted: --no-<flag>, --flag=value, --, and every spelling of a port", async (t) => {
  const boards = await runMain(["boards"]);
  t.is(boards.code, 0, boards.stderr);
  const negated = await runMain(["boards", "--json", "--no-json"]);
  t.is(negated.code, 0, negated.stderr);
  t.is(negated.stdout, boards.stdout, "--no-json after --json: the table");
  const json = await runMain(["boards", "--json=true", "--"]);
  t.is(json.code, 0, json.stderr);
  t.true(Array.isArray(JSON.parse(json.stdout)));
  assertUsageError(t, await runMain(["boards", "--no-jsn"]), "unknown option --no-jsn; did you mean --no-json?");
  // a port that passes the form check reaches the connection (and fails there, exit 1)
  for (const port of ["/dev/fewmul-none", "./fewmul-none", "socket://127.0.0.1:1"]) {
    const r = await runMain(["eval", "--port", port, "--model-file", "/nonexistent.fewmul"]);
    t.is(r.code, 1, `${port}: ${r.stderr}`);
    t.regex(r.stderr, /^error: \/nonexistent\.fewmul: .*not found/m);
  }
});

test("no command defines an option citty cannot parse or a default stated twice", (t) => {
  for (const { name, args, options } of commands) {
    for (const option of options) {
      const def = args[option];
      // citty reads --no-X as X = false: an option called no-… could never be set
      t.false(option.startsWith("no-"), `${name} --${option}: define "${option.slice(3)}" (default true) instead`);
      if (def.default !== undefined) t.notRegex(def.description ?? "", /default/i, `${name} --${option}: citty prints the default`);
    }
  }
});

test("checkArgs reads a command line as citty does", (t) => {
  const defs: ArgsDef = {
    out: { type: "string", default: "x" },
    "dry-run": { type: "boolean" },
    mode: { type: "enum", options: ["a", "b"] },
    file: { type: "positional", required: false },
  };
  const ok = (argv: string[]) => t.notThrows(() => checkArgs(defs, argv), argv.join(" "));
  const bad = (argv: string[], message: string) => {
    const e = t.throws(() => checkArgs(defs, argv), { instanceOf: UserError }, argv.join(" "));
    t.is(e?.message, message);
    t.is(e?.exitCode, 2);
  };
  ok([]);
  ok(["--out", "-4", "--dry-run", "--no-dry-run", "--mode=b", "f"]);
  ok(["--dryRun", "--out", "--dry-run"]); // a value option takes the next argument, whatever it is
  ok(["--out", "--no-dry-run", "y"]); // ...except a negation, which citty takes out first
  ok(["--", "--not-an-option"]); // after --: the positional
  ok(["--out=a=b", "--dry-run=false"]);
  bad(["f", "g"], 'unexpected argument "g"');
  bad(["--", "f", "g"], 'unexpected argument "g"');
  bad(["--dry-rn"], "unknown option --dry-rn; did you mean --dry-run?");
  bad(["-d"], "unknown option -d");
  bad(["--mode", "c"], '--mode must be one of a, b, got "c"');
  bad(["--out"], "--out needs a value");
  bad(["--out", "--no-dry-run"], "--out needs a value");
  bad(["--no-out"], "--no-out: --out is not a yes/no option");
  bad(["--no-such"], "unknown option --no-such");
  bad(["--dry-run=1"], '--dry-run takes no value (or =true, =false), got "--dry-run=1"');
  bad(["--zzzzzz"], "unknown option --zzzzzz");
});

test("closest: one edit for short words, two for longer ones, a swap is one, or a common start", (t) => {
  const options = ["epochs", "batch", "batches", "model", "model-file", "out", "seed", "json"];
  t.is(closest("epoch", options), "epochs");
  t.is(closest("modle", options), "model");
  t.is(closest("batchsize", options), "batch");
  t.is(closest("modelfile", options), "model-file");
  t.is(closest("jsn", options), "json");
  t.is(closest("sed", options), "seed");
  t.is(closest("o", options), undefined);
  t.is(closest("verbose", options), undefined);
  t.is(closest("xyz", options), undefined);
});

test("every command line in the README's examples passes the option check", (t) => {
  const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
  const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
  const lines = blocks.flatMap((b) => b.split("\n")).map((l) => l.replace(/#.*$/, "").replace(/&\s*$/, "").trim()).filter((l) => l.startsWith("fewmul "));
  t.true(lines.length >= 8, `${lines.length} examples`);
  for (const line of lines) {
    const [, name, ...argv] = line.split(/\s+/);
    const command = commands.find((c) => c.name === name);
    t.truthy(command, line);
    if (command) t.notThrows(() => checkArgs(command.args, argv), line);
  }
});
