import { defineCommand } from "citty";
import { UserError } from "../../errors.ts";
import { board, deviceArgs } from "../common.ts";
import { logger } from "../output.ts";
import { waitForStop } from "../signals.ts";
import { hasSocat, startEmulator } from "../../emulator/server.ts";

export default defineCommand({
  meta: { name: "emulate", description: "Serve an emulated board (the device module in this process) on a pty or a TCP port until interrupted" },
  args: {
    board: deviceArgs.board,
    listen: { type: "string", description: "pty (through socat) or socket://HOST:PORT (0 = any free port); default pty when socat is installed, else socket://127.0.0.1:0" },
    flash: deviceArgs.flash,
    paced: { type: "boolean", description: "Pace bytes at the board's baud rate, like a real UART", default: false },
    json: { type: "boolean", description: "First line of stdout as a JSON object {port, board}", default: false },
  },
  async run({ args }) {
    const b = board(args.board);
    const socat = hasSocat();
    const listen = args.listen ?? (socat ? "pty" : "socket://127.0.0.1:0");
    // Checked here too: startEmulator would already be listening on TCP when it finds no socat.
    if (listen === "pty" && !socat) throw new UserError("--listen pty needs socat: apt-get install socat (or use --listen socket://127.0.0.1:0)", "E_TOOLCHAIN");
    const emulator = await startEmulator({ board: b, listen, flashFile: args.flash, paced: args.paced });
    const wait = waitForStop(["SIGINT", "SIGTERM"]);
    try {
      process.stdout.write(args.json ? `${JSON.stringify({ port: emulator.port, board: b.id })}\n` : `${emulator.port}\n`);
      logger.info(`emulating ${b.id} (${b.ram / 1024} KiB RAM${args.paced ? `, ${b.baud} baud` : ""}) on ${emulator.port}; Ctrl-C stops`);
      const signal = await wait.stopped;
      logger.info(`${signal}: closing the emulator`);
    } finally {
      wait.dispose();
      await emulator.close();
    }
  },
});
