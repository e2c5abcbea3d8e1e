import { defineCommand } from "citty";
import { UserError } from "../../errors.ts";
import { board, deviceArgs } from "../common.ts";
import { logger } from "../output.ts";
import { waitForStop } from "../signals.ts";
import { hasSocat, startEmulator } from "../../emulator/server.ts";

export default defineCommand({
  meta: { name: "emulate", description: "Serve an emulated board on a pty or a TCP port until interrupted: the device module in this process, or (--board pico) the Pico's firmware image under rp2040js" },
  args: {
    board: deviceArgs.board,
    listen: { type: "string", description: "pty (through socat) or socket://HOST:PORT (0 = any free port); default pty when socat is installed, else socket://127.0.0.1:0" },
    flash: { ...deviceArgs.flash, description: `${deviceArgs.flash.description} (the Pico: its whole 2 MB flash)` },
    uf2: { type: "string", description: "Pico: the UF2 image to boot; default build/pico/fewmul.uf2, built if stale" },
    "bootsel-drive": { type: "string", description: "Pico: the directory that plays the BOOTSEL drive after a REBOOT (fewmul flash --port): a .uf2 copied there is flashed and booted" },
    paced: { type: "boolean", description: "Pace bytes at the board's baud rate, like a real UART", default: false },
    json: { type: "boolean", description: "First line of stdout as a JSON object {port, board}", default: false },
  },
  async run({ args }) {
    const b = board(args.board);
    const socat = hasSocat();
    const listen = args.listen ?? (socat ? "pty" : "socket://127.0.0.1:0");
    // Checked here too: startEmulator would already be listening on TCP when it finds no socat.
    if (listen === "pty" && !socat) throw new UserError("--listen pty needs socat: apt-get install socat (or use --listen socket://127.0.0.1:0)", "E_TOOLCHAIN");
    // loaded only for the Pico: rp2040js and the firmware build are not needed otherwise
    const pico = b.mcu === "RP2040" ? await (await import("../../emulator/pico-board.ts")).startPico(b, { flashFile: args.flash, uf2: args.uf2, bootselDrive: args["bootsel-drive"] }) : undefined;
    const emulator = await startEmulator({ board: b, listen, flashFile: args.flash, paced: args.paced, device: pico?.device });
    const wait = waitForStop(["SIGINT", "SIGTERM"]);
    pico?.device.onFault((reason) => wait.stop(`fault: ${reason}`));
    try {
      process.stdout.write(args.json ? `${JSON.stringify({ port: emulator.port, board: b.id })}\n` : `${emulator.port}\n`);
      logger.info(pico
        ? `emulating ${b.id} under rp2040js (${pico.uf2}, flash in ${pico.flashFile}) on ${emulator.port}; Ctrl-C stops`
        : `emulating ${b.id} (${b.ram / 1024} KiB RAM${args.paced ? `, ${b.baud} baud` : ""}) on ${emulator.port}; Ctrl-C stops`);
      const signal = await wait.stopped;
      if (signal.startsWith("fault: ")) throw new UserError(`emulated ${b.id} firmware faulted and halted: ${signal.slice(7)}`, "E_FAULT");
      logger.info(`${signal}: closing the emulator`);
    } finally {
      wait.dispose();
      await emulator.close();
    }
  },
});
