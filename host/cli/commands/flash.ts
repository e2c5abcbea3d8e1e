import { defineCommand } from "citty";
import { relative } from "node:path";
import { UserError } from "../../errors.ts";
import { buildBoard } from "../../boards/board-build.ts";
import { startQemu, type RunningQemu } from "../../boards/qemu.ts";
import { vendorFlash } from "../../boards/vendor-flash.ts";
import { parseSocketUrl } from "../../transports/socket.ts";
import { board, checkPort, int } from "../common.ts";
import { connect } from "../../connect.ts";
import { ProtocolError } from "../../protocol/errors.ts";
import { logger, printResult } from "../output.ts";
import { waitForStop } from "../signals.ts";
import { copyToDrive, driveMounted, findUf2Drives, mountRoots, uf2BoardId } from "../../boards/uf2-drive.ts";
import { readFileSync } from "node:fs";
import type { BoardManifest } from "../../boards/manifest.ts";

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
    description: "Put the firmware on a board. UF2 boards (pico): build if needed, copy build/<board>/fewmul.uf2 to the BOOTSEL drive (found, or --drive), rebooting a board that runs fewmul into BOOTSEL first when --port is given. QEMU boards: boot qemu-system-arm (-icount) and serve its UART until interrupted. ESP-IDF/Zephyr (WAMR) boards: print the vendor command that flashes your application and exit 1",
  },
  args: {
    board: { type: "string", description: "Board id (boards/*.json), e.g. qemu-mps2-an385", required: true },
    port: { type: "string", description: "QEMU: where the board's UART appears, pty (default) or socket://127.0.0.1:PORT (0 = any free port). UF2 boards: the serial port of a board running fewmul, which is asked to reboot into BOOTSEL. idf.py boards: the serial port for the printed command" },
    drive: { type: "string", description: "UF2 boards: the mounted BOOTSEL drive (default: searched in the usual mount points)" },
    timeout: { type: "string", description: "UF2 boards: seconds to wait for the drive to appear and to go away (default 10)" },
    json: { type: "boolean", description: "QEMU: first line of stdout as a JSON object {port, board, elf, pid}; UF2: the result as one JSON object", default: false },
  },
  async run({ args }) {
    const b = board(args.board);
    if (b.flasher === "uf2") return flashUf2(b, args);
    if (args.drive !== undefined) throw new UserError(`--drive is for UF2 boards; board ${b.id} flashes with "${b.flasher}"`, "E_USAGE");
    const vendor = vendorFlash(b, args.port === "pty" ? undefined : args.port);
    if (vendor) {
      process.stdout.write(args.json ? `${JSON.stringify({ board: b.id, flashed: false, command: vendor.command })}\n` : `${vendor.command}\n`);
      throw new UserError(`fewmul does not flash ${b.id}: run the command above in your ${vendor.sdk} application (README.md, "Running on a WAMR board")`, "E_BOARD");
    }
    if (b.flasher !== "qemu") {
      if (b.flasher === "none") throw new UserError(`board ${b.id} needs no flashing: use fewmul emulate, or --port emulator`, "E_BOARD");
      throw new UserError(`board ${b.id}: flasher "${b.flasher}" is not supported yet (qemu, uf2)`, "E_BOARD");
    }
    const where = parsePort(args.port ?? "pty");
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` every 100 ms until it returns a value or `seconds` pass. */
async function waitFor<T>(seconds: number, check: () => T | undefined): Promise<T | undefined> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const v = check();
    if (v !== undefined || Date.now() >= deadline) return v;
    await sleep(100);
  }
}

/** The BOOTSEL drive: --drive (checked), else the only RPI-RP2 drive in the mount points. */
function findDrive(b: BoardManifest, given: string | undefined): string | undefined {
  const id = b.uf2?.board_id ?? "RPI-RP2";
  if (given !== undefined) return uf2BoardId(given)?.startsWith(id) ? given : undefined;
  const found = findUf2Drives(id);
  if (found.length > 1) throw new UserError(`${found.length} ${id} drives are mounted (${found.join(", ")}): pick one with --drive`, "E_FLASH");
  return found[0];
}

async function flashUf2(b: BoardManifest, args: { port?: string; drive?: string; timeout?: string; json: boolean }): Promise<void> {
  const seconds = int("timeout", args.timeout, 10, 1);
  if (args.port !== undefined) checkPort(args.port);
  const id = b.uf2?.board_id ?? "RPI-RP2";
  const built = await buildBoard(b);
  const fw = built.firmware!;
  const image = readFileSync(fw.uf2!);
  logger.info(`${b.id}: ${built.firmwareBuilt ? "built" : "up to date"} ${relative(process.cwd(), fw.uf2!) || fw.uf2} (text ${fw.text}, data ${fw.data}, bss ${fw.bss}; ${image.length / 512} UF2 blocks)`);

  let rebooted = false;
  let unanswered = "";
  if (args.port !== undefined && findDrive(b, args.drive) === undefined) {
    const { session } = await connect({ board: b, port: args.port });
    try {
      await session.rebootToBootloader();
    } catch (e: any) {
      // a refusal (old firmware: E_CMD) is final; a lost reply may still mean it rebooted
      if (e instanceof ProtocolError && e.status !== undefined) {
        throw new UserError(`the board on ${args.port} refused to reboot into BOOTSEL (${e.message}): hold BOOTSEL while plugging it in`, "E_FLASH");
      }
      unanswered = ` (the board did not answer REBOOT: ${e?.message ?? e})`;
    } finally {
      await session.close().catch(() => {});
    }
    rebooted = true;
    logger.info(`asked the board on ${args.port} to reboot into BOOTSEL${unanswered}`);
  }
  const where = args.drive ?? (process.platform === "win32" ? "drive letters D:-Z:" : mountRoots().join(", "));
  const drive = await waitFor(rebooted ? seconds : 0, () => findDrive(b, args.drive));
  if (drive === undefined) {
    if (args.drive !== undefined && !rebooted) throw new UserError(`${args.drive} is not a BOOTSEL drive (no INFO_UF2.TXT with Board-ID: ${id})`, "E_FLASH");
    if (rebooted) throw new UserError(`no ${id} drive appeared in ${where} within ${seconds} s of asking the board on ${args.port} to reboot${unanswered}: hold BOOTSEL while plugging it in, or give --drive`, "E_FLASH");
    throw new UserError(`no ${id} drive found in ${where}: hold BOOTSEL while plugging the Pico in (or pass --port of a board running fewmul), then retry or give --drive`, "E_FLASH");
  }
  let path: string;
  try {
    path = copyToDrive(drive, "fewmul.uf2", image);
  } catch (e: any) {
    throw new UserError(`cannot write to the BOOTSEL drive ${drive}: ${e?.code ?? e?.message ?? e}`, "E_FLASH");
  }
  logger.info(`copied ${image.length} bytes to ${path}; waiting for the board to reboot`);
  const gone = await waitFor(seconds, () => (driveMounted(drive) ? undefined : true));
  if (!gone) throw new UserError(`${drive} is still mounted ${seconds} s after the copy: the board did not take the image`, "E_FLASH");
  printResult({ board: b.id, uf2: relative(process.cwd(), fw.uf2!) || fw.uf2!, drive, bytes: image.length, blocks: image.length / 512, rebooted_from_port: rebooted }, args.json);
}
