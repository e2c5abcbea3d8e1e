// The `fewmul` command: subcommands are loaded lazily; user errors print one line.
import { defineCommand, runCommand, showUsage, type CommandDef } from "citty";
import { UserError } from "../errors.ts";
import { logger } from "./output.ts";

const version = "0.1.0";

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
};

export const root = defineCommand({
  meta: { name: "fewmul", version, description: "On-device training with (almost) no multiplications" },
  subCommands,
});

/** Runs the CLI on raw arguments (tests call this in-process); resolves to the exit code. */
export async function main(rawArgs: string[]): Promise<number> {

  const name = rawArgs.find((a) => !a.startsWith("-"));
  const wantsHelp = rawArgs.includes("--help") || rawArgs.includes("-h");
  try {
    if (rawArgs.length === 1 && (rawArgs[0] === "--version" || rawArgs[0] === "-v")) {
      console.log(version);
      return 0;
    }
    if (!name || !(name in subCommands)) {
      await showUsage(root);
      if (wantsHelp || rawArgs.length === 0) return 0;
      throw new UserError(`unknown command "${name ?? rawArgs[0]}"`, "E_USAGE");
    }
    const command = await subCommands[name]();
    if (wantsHelp) { await showUsage(command, root); return 0; }
    process.exitCode = undefined; // a command sets it to report a non-error outcome (validate)
    await runCommand(command, { rawArgs: rawArgs.slice(rawArgs.indexOf(name) + 1) });
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
    if (error?.name === "CLIError") { // citty's argument errors: a user mistake too
      logger.error(error.message);
      return 1;
    }
    logger.error(error?.stack ?? String(error));
    return 1;
  }
}
