// The `fewmul` command: subcommands are loaded lazily; every command line is checked against
// the command's own options before it runs; user errors print one line.
import { readFileSync } from "node:fs";
import { defineCommand, renderUsage, runCommand, type ArgsDef, type CommandDef } from "citty";
import { EXIT_USAGE, UserError } from "../errors.ts";
import { logger } from "./output.ts";
import { checkArgs, closest } from "./strict-args.ts";

export const version: string = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")).version;

export const subCommands: Record<string, () => Promise<CommandDef<any>>> = {
  boards: () => import("./commands/boards.ts").then((m) => m.default),
  ports: () => import("./commands/ports.ts").then((m) => m.default),
  build: () => import("./commands/build.ts").then((m) => m.default),
  emulate: () => import("./commands/emulate.ts").then((m) => m.default),
  flash: () => import("./commands/flash.ts").then((m) => m.default),
  train: () => import("./commands/train.ts").then((m) => m.default),
  eval: () => import("./commands/eval.ts").then((m) => m.default),
  validate: () => import("./commands/validate.ts").then((m) => m.default),
  export: () => import("./commands/export.ts").then((m) => m.default),
  report: () => import("./commands/report.ts").then((m) => m.default),
};

export const root = defineCommand({
  meta: { name: "fewmul", version, description: "On-device training with (almost) no multiplications" },
  subCommands,
});

/** The command called `name`, or a usage error with the nearest command name. */
export async function loadCommand(name: string): Promise<CommandDef<any>> {
  if (Object.hasOwn(subCommands, name)) return subCommands[name]();
  const near = closest(name, Object.keys(subCommands));
  throw new UserError(`unknown command "${name}"${near ? `; did you mean ${near}?` : ""} (fewmul --help lists them)`, "E_USAGE");
}

/** The options a command defines (citty allows them to be given lazily). */
export async function commandArgs(command: CommandDef<any>): Promise<ArgsDef> {
  const args = command.args;
  return (typeof args === "function" ? await args() : await args) ?? {};
}

const isHelp = (a: string) => a === "--help" || a === "-h";

/** citty's help text, without the spaces it pads every line to the longest one with. */
async function showUsage(command: CommandDef<any>, parent?: CommandDef<any>): Promise<void> {
  process.stdout.write(`${(await renderUsage(command, parent)).replace(/[ \t]+$/gm, "")}\n\n`);
}

/** Runs the CLI on raw arguments (tests call this in-process); resolves to the exit code. */
export async function main(rawArgs: string[]): Promise<number> {
  const [first, ...rest] = rawArgs;
  try {
    if (first === undefined) { await showUsage(root); return 0; }
    if (first === "--version" || first === "-v") {
      if (rest.length > 0) throw new UserError(`unexpected argument "${rest[0]}" after ${first}`, "E_USAGE");
      console.log(version);
      return 0;
    }
    if (first === "help" || isHelp(first)) { // `fewmul help train` is `fewmul train --help`
      const [name, extra] = rest.filter((a) => !isHelp(a));
      if (extra !== undefined) throw new UserError(`unexpected argument "${extra}" (fewmul help <command>)`, "E_USAGE");
      if (name === undefined) await showUsage(root);
      else await showUsage(await loadCommand(name), root);
      return 0;
    }
    if (first.startsWith("-")) throw new UserError(`unknown option ${first}: options follow the command (fewmul <command> ${first})`, "E_USAGE");
    const command = await loadCommand(first);
    const before = rest.indexOf("--");
    if ((before < 0 ? rest : rest.slice(0, before)).some(isHelp)) { await showUsage(command, root); return 0; }
    checkArgs(await commandArgs(command), rest);
    process.exitCode = undefined; // a command sets it to report a non-error outcome (validate)
    await runCommand(command, { rawArgs: rest });
    const code = process.exitCode === undefined ? 0 : Number(process.exitCode);
    process.exitCode = undefined;
    return code;
  } catch (error: any) {
    if (error instanceof UserError) {
      logger.error(error.message);
      return error.exitCode;
    }
    if (error?.name === "ProtocolError" || error?.name === "TransportError") {
      // The device refused something or the link failed: say what, no stack.
      logger.error(`device: ${error.message}`);
      return 1;
    }
    if (error?.name === "CLIError") { // citty's own argument errors (checkArgs should find them first)
      logger.error(error.message);
      return EXIT_USAGE;
    }
    logger.error(error?.stack ?? String(error));
    return 1;
  }
}
