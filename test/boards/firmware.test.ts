// The wasm2c firmware on the emulated Cortex-M boards, end to end: build from scratch
// with the echo test module (fixtures/echo.wat, same ABI as build/fewmul.wasm), boot
// QEMU, talk over the pty, and check the replies against the same module in Node.
import test from "ava";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { SerialPort } from "serialport";
import { UserError } from "../../host/errors.ts";
import { buildFirmware, type FirmwareBuild } from "../../host/boards/firmware-build.ts";
import { listBoards, loadBoard, type BoardManifest } from "../../host/boards/manifest.ts";
import { encodeSpec, parseSpec } from "../../host/module/spec.ts";
import { startQemu } from "../../host/boards/qemu.ts";
import { ensureModule } from "../../host/boards/module-build.ts";
import { instantiate, MemoryFlash } from "../../host/module/loader.ts";

const BOARDS = ["qemu-mps2-an385", "qemu-mps2-an386"];
const WAT = fileURLToPath(new URL("fixtures/echo.wat", import.meta.url));
const work = mkdtempSync(join(tmpdir(), "fewmul-fw-test-"));
const wasm = join(work, "echo.wasm");
const builds = new Map<string, FirmwareBuild>();

test.before(async () => {
  execFileSync("wat2wasm", [WAT, "-o", wasm]);
  // from scratch, both boards in parallel
  await Promise.all(BOARDS.map(async (id) => builds.set(id, await buildFirmware(id, wasm, join(work, id)))));
});
test.after.always(() => rmSync(work, { recursive: true, force: true }));

const hex = (n: number) => (n >>> 0).toString(16).padStart(8, "0");

/** The echo module in Node (host/module/loader.ts, the emulator's loader): the reference. */
function nodeDevice(board: BoardManifest) {
  const { exports: x, mem } = instantiate({
    path: wasm, ramBytes: board.ram, flash: new MemoryFlash(board.checkpoint_bytes),
  });
  x._initialize?.();
  x.boot();
  return (line: string) => {
    const bytes = new TextEncoder().encode(line + "\n");
    mem.write(x.io_rx_ptr(), bytes);
    const n = x.io_feed(bytes.length);
    return new TextDecoder().decode(mem.u8(x.io_tx_ptr(), n)).replace(/\n$/, "");
  };
}

/** Line-oriented view of the serial port. */
function lines(port: SerialPort) {
  let buf = "";
  let wake = () => {};
  port.on("data", (d: Buffer) => { buf += d.toString("latin1"); wake(); });
  const next = async (timeoutMs = 5000): Promise<string> => {
    const deadline = Date.now() + timeoutMs;
    while (!buf.includes("\n")) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no reply line within ${timeoutMs} ms (got ${JSON.stringify(buf)})`);
      await new Promise<void>((r) => {
        const timer = setTimeout(r, left);
        wake = () => { clearTimeout(timer); r(); };
      });
    }
    const nl = buf.indexOf("\n");
    const line = buf.slice(0, nl);
    buf = buf.slice(nl + 1);
    return line;
  };
  const send = (s: string) => new Promise<void>((res, rej) => {
    port.write(s, "latin1", (e) => (e ? rej(e) : port.drain((e2) => (e2 ? rej(e2) : res()))));
  });
  const ask = async (line: string) => { await send(line + "\n"); return next(); };
  return { next, send, ask };
}

const openPort = (path: string, baudRate: number) => new Promise<SerialPort>((res, rej) => {
  const p = new SerialPort({ path, baudRate }, (e) => (e ? rej(e) : res(p)));
});

for (const id of BOARDS) {
  test(`${id}: echo, bit-exact with Node, flash across reset, traps, clean shutdown`, async (t) => {
    const board = loadBoard(id);
    const pages = board.ram / 65536;
    const qemu = await startQemu(board, builds.get(id)!.elf, { port: "pty" });
    let port: SerialPort | undefined;
    try {
      port = await openPort(qemu.path!, board.baud);
      const uart = lines(port);

      // 1. the same script on the board and in Node gives the same bytes
      const script = [
        "Ehello", "E", "B", "S", "F", "R", "O",
        "Wcheckpoint-1", "R",
        `G${hex(pages - 1)}`, "S", "G1", "S", "G0",
        // f32/f64 through the FPU (M4F) or libgcc soft-float (M3); denormals included
        "Q3f800000", "Q00000001", "Q00800000", "Q7f7fffff", "Qc0490fdb", "Q3eaaaaab", "Q4b000001",
        "D100", "Zunknown", "E" + "x".repeat(200),
      ];
      const node = nodeDevice(board);
      for (const line of script) t.is(await uart.ask(line), node(line), `reply to ${line.slice(0, 20)}`);
      // ...and those replies mean what the manifest says
      t.is(node("F"), `F${hex(board.checkpoint_bytes)}`);
      t.is(node(`G${hex(1)}`), `G${hex(-1)}`, "memory.grow fails beyond the board's RAM");
      t.is(node("O"), `O${hex(-1)}`, "flash_write past the end returns -1");

      // 2. frames split and merged arbitrarily by the UART still work
      await uart.send("Ea\nEb\nE");
      await uart.send("c\n");
      t.deepEqual([await uart.next(), await uart.next(), await uart.next()], ["Ea", "Eb", "Ec"]);

      // 3. checkpoint area survives system_reset; RAM (the instance) does not
      await qemu.reset();
      t.is(await uart.ask("B"), `B${hex(1)}`, "boot() restored");
      t.is(await uart.ask("R"), "Rcheckpoint-1");
      t.is(await uart.ask("S"), `S${hex(1)}`, "fresh linear memory");

      // 4. traps: one line, then the firmware serves again from the last checkpoint
      t.is(await uart.ask("T"), "FEWMUL-TRAP 5", "unreachable");
      t.is(await uart.ask("B"), `B${hex(1)}`);
      t.is(await uart.ask("M"), "FEWMUL-TRAP 1", "import with pointer outside linear memory");
      t.is(await uart.ask("Dfffff"), "FEWMUL-TRAP 8", "deep recursion hits the stack guard");
      t.is(await uart.ask("D400"), `D${hex(0x400)}`, "recursion within the stack still works");
      t.is(await uart.ask("R"), "Rcheckpoint-1");
    } finally {
      if (port?.isOpen) await new Promise((r) => port!.close(r));
      // 5. clean shutdown
      t.is(await qemu.stop(), 0, "QEMU quits with status 0");
    }
    t.throws(() => process.kill(qemu.pid, 0), undefined, "no QEMU left behind");
  });
}

test("build reports text/data/bss of the firmware", (t) => {
  for (const id of BOARDS) {
    const b = builds.get(id)!;
    const board = loadBoard(id);
    t.log(`${id}: text ${b.text} data ${b.data} bss ${b.bss} (module ${b.moduleBytes} B, max frame ${b.maxFrame} B)`);
    t.true(existsSync(b.elf) && existsSync(b.bin));
    t.true(b.text > 1000 && b.text < 64 * 1024, "text: firmware + module code");
    t.true(b.data < 4096);
    t.true(b.bss >= board.ram + board.checkpoint_bytes, "bss holds linear memory and the checkpoint area");
  }
});

// The release module speaks the byte-pump ABI: it must build for both boards.
test("build/fewmul.wasm builds for both QEMU boards", async (t) => {
  const release = await ensureModule("release");
  for (const id of BOARDS) {
    const b = await buildFirmware(id, release.path, join(work, `release-${id}`));
    t.log(`${id}: text ${b.text} data ${b.data} bss ${b.bss} (module ${b.moduleBytes} B, max frame ${b.maxFrame} B)`);
    t.true(existsSync(b.elf));
    t.is(b.sections[".noinit"], loadBoard(id).ram, "linear memory = the manifest's ram");
    t.is(b.sections[".ckpt"], loadBoard(id).checkpoint_bytes, "checkpoint area = the manifest's checkpoint_bytes");
  }
});

// 784-256-10 (batch 32), the default model, must fit every board that names no smaller
// `model` in its manifest, and that model must fit the others: its linear memory in `ram`, its
// checkpoint (72-byte header + state blob) in `checkpoint_bytes`.
test("every board holds its model (784-256-10 unless the manifest names one) and its checkpoint", async (t) => {
  const release = await ensureModule("release");
  for (const id of listBoards()) {
    const b = loadBoard(id);
    const model = b.model ?? "784-256-10:tc,batch=32";
    const { exports: x, mem } = instantiate({ path: release.path, ramBytes: 16 << 20 });
    x._initialize?.();
    mem.write(x.spec_ptr(), encodeSpec(parseSpec(model)));
    const required = x.required_bytes();
    t.is(x.init(1, 0), 0);
    const checkpoint = 72 + x.state_len();
    t.log(`${id}: ${model} needs ${required} B of linear memory, a ${checkpoint}-byte checkpoint`);
    t.true(required <= b.ram, `${id}: ram ${b.ram} >= ${required}`);
    t.true(checkpoint <= b.checkpoint_bytes, `${id}: checkpoint_bytes ${b.checkpoint_bytes} >= ${checkpoint}`);
  }
});

test.serial("a missing tool is a one-line UserError naming the package", async (t) => {
  const path = process.env.PATH;
  process.env.PATH = "/nonexistent";
  try {
    const err = await t.throwsAsync(buildFirmware(BOARDS[0], wasm, join(work, "no-tools")), { instanceOf: UserError });
    t.is(err!.message, "wasm2c not found: apt-get install wabt");
  } finally {
    process.env.PATH = path;
  }
});
