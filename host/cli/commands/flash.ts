import { defineCommand } from "citty";
import { relative } from "node:path";
import { UserError } from "../../errors.ts";
import { buildBoard } from "../../boards/board-build.ts";
import { startQemu, type RunningQemu } from "../../boards/qemu.ts";
import { vendorFlash } from "../../boards/vendor-flash.ts";
import { parseSocketUrl } from "../../transports/socket.ts";
import { board } from "../common.ts";
import { logger } from "../output.ts";
import { waitForStop } from "../signals.ts";

/** "pty" or socket://127.0.0.1:PORT (PORT 0: any free port). */
function parsePort(port: string): "pty" | { tcp: number } {
  if (port === "pty") return "pty";
  let url: { host: string; port: number } | undefined;
  try { url = parseSocketUrl(port, { listen: true }); } catch { /* reported below */ }
  if (!url || !["127.0.0.1", "localhost"].includes(url.host)) throw new UserError(`--port must be pty or socket://127.0.0.1:PORT, got "${port}"`, "E_USAGE");
  return { tcp: url.port };
}

export default defineCommand({
  meta: {
    name: "flash",
    description: "Put the firmware on a board and keep it running: for QEMU boards, build if needed, boot qemu-system-arm (-icount, deterministic) and serve its UART until interrupted; for ESP-IDF/Zephyr (WAMR) boards, print the vendor command that flashes your application and exit 1",
  },
  args: {
    board: { type: "string", description: "Board id (boards/*.json), e.g. qemu-mps2-an385", required: true },
    port: { type: "string", description: "Where the board's UART appears: pty or socket://127.0.0.1:PORT (0 = any free port); for an idf.py board, the serial port for the printed command", default: "pty" },
    json: { type: "boolean", description: "First line of stdout as a JSON object {port, board, elf, pid}", default: false },
  },
  async run({ args }) {
    const b = board(args.board);
    const vendor = vendorFlash(b, args.port === "pty" ? undefined : args.port);
    if (vendor) {
      process.stdout.write(args.json ? `${JSON.stringify({ board: b.id, flashed: false, command: vendor.command })}\n` : `${vendor.command}\n`);
      throw new UserError(`fewmul does not flash ${b.id}: run the command above in your ${vendor.sdk} application (README.md, "Running on a WAMR board")`, "E_BOARD");
    }
    if (b.flasher !== "qemu") {
      if (b.flasher === "none") throw new UserError(`board ${b.id} needs no flashing: use fewmul emulate, or --port emulator`, "E_BOARD");
      throw new UserError(`board ${b.id}: flasher "${b.flasher}" is not supported yet (only qemu)`, "E_BOARD");
    }
    const where = parsePort(args.port);
    const built = await buildBoard(b);
    const fw = built.firmware!;
    logger.info(`${b.id}: ${built.firmwareBuilt ? "built" : "up to date"} ${relative(process.cwd(), fw.elf)} (text ${fw.text}, data ${fw.data}, bss ${fw.bss})`);

    const wait = waitForStop(["SIGINT", "SIGTERM", "SIGHUP"]);
    let qemu: RunningQemu | undefined;
    try {
      qemu = await startQemu(b, fw.elf, { port: where });
      void qemu.exited.then((code) => wait.stop(`qemu-system-arm exited (${code})`));
      const port = qemu.path ?? `socket://127.0.0.1:${qemu.port}`;
      process.stdout.write(args.json ? `${JSON.stringify({ port, board: b.id, elf: fw.elf, pid: qemu.pid })}\n` : `${port}\n`);
      logger.info(`${b.id} running under qemu-system-arm (pid ${qemu.pid}, -icount shift=0) on ${port}; Ctrl-C stops`);
      const reason = await wait.stopped;
      logger.info(`${reason}: stopping QEMU`);
      if (reason.startsWith("qemu-system-arm exited")) throw new UserError(`${reason}: ${qemu.log().trim().split("\n").pop() ?? ""}`, "E_QEMU");
    } finally {
      wait.dispose();
      await qemu?.stop();
    }
  },
});
