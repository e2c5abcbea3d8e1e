// The Raspberry Pi Pico, end to end without hardware: the firmware built from scratch for the
// RP2040, its UF2 image, and the image booted under rp2040js by the harness of
// host/emulator/pico.ts (boot2 CRC check, ROM flash routines, watchdog reset, BOOTSEL drive).
// Training on the emulated Pico must be bit-identical with the Node emulator after every batch,
// a watchdog reset must resume from the flash checkpoint to the undisturbed final state, traps
// and faults must be clear errors, and `fewmul flash` must get an image onto the (emulated)
// BOOTSEL drive that the chip then boots. Tools missing = failure (buildFirmware throws).
import test from "ava";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { boot2Valid } from "../../host/boards/boot2.ts";
import { buildFirmware, RP2040_FLASH_BASE, type FirmwareBuild } from "../../host/boards/firmware-build.ts";
import { loadBoard } from "../../host/boards/manifest.ts";
import { ensureModule } from "../../host/boards/module-build.ts";
import { TrapDetectTransport } from "../../host/transports/trap-detect.ts";
import { fromUf2, RP2040_FAMILY, toUf2, uf2ToImage } from "../../host/boards/uf2.ts";
import { runMain as cli } from "../cli/helpers.ts";
import { BOOTSEL_INFO, PicoEmulator } from "../../host/emulator/pico.ts";
import { startEmulator } from "../../host/emulator/server.ts";
import { encodeSpec, parseSpec } from "../../host/module/spec.ts";
import { DeviceModel } from "../../host/module/device-model.ts";
import { ProtocolError } from "../../host/protocol/errors.ts";
import { Session } from "../../host/protocol/session.ts";
import { BatchSource, runTraining, type TrainJob } from "../../host/training/run.ts";
import { mnistSubsets, nodeEmulatorSession, trappingModule } from "./helpers.ts";

const PICO = loadBoard("pico");
const MODEL = "784-32-10:tc,batch=16";
/** A small conv net (113 KiB at batch 4): conv, pooling, a second conv, the dense output. */
const CONV_MODEL = "1x28x28-c2-p-c4-p-10:tc,batch=4";
const work = mkdtempSync(join(tmpdir(), "fewmul-pico-"));
let release: FirmwareBuild;
let trapping: FirmwareBuild;
/** The firmware with the former polled UART receiver (pico_uart.c, UART_RX_POLLED). */
let polled: FirmwareBuild;
let releaseWasm = "";

test.before(async () => {
  // The emulated chip runs slower than the CLI's reply timeouts (300 ms, 10 s) assume when the
  // machine is busy: the CLI commands of this file wait 20 times longer (host/connect.ts).
  process.env.FEWMUL_TIMEOUT_SCALE = "20";
  releaseWasm = (await ensureModule("release")).path;
  const trapWasm = join(work, "trap-on-checkpoint.wasm");
  trappingModule(releaseWasm, trapWasm);
  [release, trapping, polled] = await Promise.all([
    buildFirmware(PICO, releaseWasm, join(work, "release")),
    buildFirmware(PICO, trapWasm, join(work, "trap")),
    buildFirmware(PICO, releaseWasm, join(work, "polled"), { defines: { UART_RX_POLLED: 1, RX_IDLE_POLLS: 20000 } }),
  ]);
});
test.after.always(() => {
  delete process.env.FEWMUL_TIMEOUT_SCALE;
  rmSync(work, { recursive: true, force: true });
});

const mnist = mnistSubsets(128, 32);

/** The emulated chip runs ~3-10x slower than a real Pico (40-45 M instructions per CPU second
 * here, less on a loaded machine): sessions wait longer than the 300 ms / 10 s defaults. */
const SLOW = { timeoutMs: 3000, slowTimeoutMs: 60_000 };

const pico = (fw: FirmwareBuild, more: Partial<ConstructorParameters<typeof PicoEmulator>[0]> = {}) =>
  new PicoEmulator({ uf2: readFileSync(fw.uf2!), flashBytes: PICO.flash, ...more });

const emulatorSession = () => nodeEmulatorSession(releaseWasm, PICO.checkpoint_bytes, PICO.ram);

/** PT_LOAD segments of an ELF32 little-endian file: physical (load) address and file bytes. */
function loadSegments(elf: Uint8Array): { paddr: number; bytes: Uint8Array }[] {
  const v = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  const phoff = v.getUint32(28, true), phentsize = v.getUint16(42, true), phnum = v.getUint16(44, true);
  const out: { paddr: number; bytes: Uint8Array }[] = [];
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * phentsize;
    if (v.getUint32(p, true) !== 1) continue; // PT_LOAD
    const offset = v.getUint32(p + 4, true), paddr = v.getUint32(p + 12, true), filesz = v.getUint32(p + 16, true);
    if (filesz) out.push({ paddr, bytes: Uint8Array.from(elf.subarray(offset, offset + filesz)) });
  }
  return out;
}

const symbol = (elf: string, name: string) => {
  const line = execFileSync("arm-none-eabi-nm", [elf], { encoding: "utf8" }).split("\n").find((l) => l.endsWith(` ${name}`));
  if (!line) throw new Error(`${name} not in ${elf}`);
  return parseInt(line.split(" ")[0], 16);
};

test.serial("build: text within 32 KB, memory map as documented, the UF2 carries exactly the ELF's flash bytes, boot2 sealed", (t) => {
  const fw = release;
  t.log(`pico firmware: text ${fw.text}, data ${fw.data}, bss ${fw.bss}; sections ${JSON.stringify(fw.sections)}`);
  t.true(fw.text <= 32 * 1024, `text ${fw.text} <= 32 KB`);
  t.is(fw.sections[".noinit"], 256 * 1024, "linear memory: all of SRAM0-3");
  t.is(symbol(fw.elf, "__stack_top"), 0x20042000, "stack at the top of SRAM5");
  t.true(symbol(fw.elf, "__data_start") >= 0x20040000, "statics in SRAM4/5");
  t.true(symbol(fw.elf, "program_sector") >= 0x20040000, "the flash-programming code is in RAM");

  const uf2 = readFileSync(fw.uf2!);
  const chunks = fromUf2(uf2, RP2040_FAMILY);
  t.true(chunks.every((c, i) => c.payload.length === 256 && c.address === RP2040_FLASH_BASE + 256 * i), "256-byte payloads, consecutive from 0x10000000");
  const image = uf2ToImage(uf2, RP2040_FAMILY, RP2040_FLASH_BASE, PICO.flash);
  const segments = loadSegments(readFileSync(fw.elf));
  t.true(segments.length >= 2);
  for (const s of segments) {
    t.deepEqual(image.subarray(s.paddr - RP2040_FLASH_BASE, s.paddr - RP2040_FLASH_BASE + s.bytes.length), s.bytes, `segment at 0x${s.paddr.toString(16)}`);
  }
  const end = Math.max(...segments.map((s) => s.paddr + s.bytes.length)) - RP2040_FLASH_BASE;
  t.true(end <= PICO.flash - PICO.checkpoint_bytes, "image below the checkpoint area");
  t.true(image.subarray(Math.ceil(end / 256) * 256).every((b) => b === 0xff), "nothing else written");

  t.true(boot2Valid(image.subarray(0, 256)), "boot2 CRC as the bootrom checks it");
  const v = new DataView(image.buffer, 0x100);
  t.is(v.getUint32(0, true), 0x20042000, "vector table at 0x10000100: initial SP");
  t.is(v.getUint32(4, true), symbol(fw.elf, "Reset_Handler") | 1, "reset vector (Thumb)");
});

test.serial("boot: a damaged boot2 is refused as the bootrom refuses it (USB boot, no code runs)", async (t) => {
  const image = uf2ToImage(readFileSync(release.uf2!), RP2040_FAMILY, RP2040_FLASH_BASE, 64 * 1024);
  image[40] ^= 1;
  const emu = new PicoEmulator({ uf2: toUf2(image, RP2040_FLASH_BASE, RP2040_FAMILY), flashBytes: PICO.flash });
  t.true(emu.inBootsel);
  t.regex(emu.bootselReason ?? "", /boot2 CRC check failed/);
  t.is(emu.cycles, 0);
  await emu.close();
});

for (const [what, model, batches] of [["", MODEL, 3], [", a conv net", CONV_MODEL, 2]] as const) {
  test.serial(`validate (CLI) on the emulated Pico${what}: state digest identical with Node after every batch`, async (t) => {
    const device = pico(release);
    const emulator = await startEmulator({ board: PICO, listen: "socket://127.0.0.1:0", device });
    try {
      const v = await cli(["validate", "--board", "pico", "--port", emulator.port, "--batches", String(batches), "--model", model, "--json"]);
      t.is(v.code, 0, v.stderr);
      t.deepEqual(JSON.parse(v.stdout), { identical: true, batches, first_divergence: null });
      t.deepEqual(device.faults, []);
    } finally {
      await emulator.close();
    }
  });
}

/**
 * Trains `batches` batches queued at once, as `fewmul train` does: the session sends the next
 * batch's chunks once the previous batch's are acknowledged, so they cross the line at wire rate
 * while the step computes. Returns the TRAIN replies and the digest after each batch.
 */
async function streamedTraining(session: Session, batches: number): Promise<{ replies: unknown[]; digests: number[] }> {
  const spec = parseSpec(MODEL);
  const { train } = mnist();
  const source = new BatchSource(train, spec.batch, 4);
  await session.hello();
  await session.init(encodeSpec(spec), 4);
  const steps = [];
  for (let id = 1; id <= batches; id++) {
    const { images, labels } = source.get(id);
    steps.push(session.train(id, images, labels), session.stats());
  }
  const done = await Promise.all(steps);
  return {
    replies: done.filter((_, i) => i % 2 === 0),
    digests: done.filter((_, i) => i % 2 === 1).map((s) => (s as Awaited<ReturnType<Session["stats"]>>).digest),
  };
}

/** `streamedTraining` on a fresh emulated Pico running `fw` and on the Node emulator. */
async function streamedOnBoth(fw: FirmwareBuild, batches: number) {
  const device = pico(fw);
  const session = new Session(new TrapDetectTransport(device), SLOW);
  const reference = await emulatorSession();
  try {
    return { device, board: await streamedTraining(session, batches), node: await streamedTraining(reference, batches) };
  } finally {
    await session.close();
    await reference.close();
  }
}

test.serial("UART at wire rate: the polled receiver loses the bytes streamed during a step (FIFO overruns); the protocol resends them", async (t) => {
  const { device, board, node } = await streamedOnBoth(polled, 3);
  t.log(`polled receiver: ${device.rxOverruns} bytes lost to the full 32-byte RX FIFO`);
  t.true(device.rxOverruns > 100, "bytes arrived while the firmware computed and found the FIFO full");
  t.deepEqual(board, node, "selective repeat recovered them: identical replies and digests");
  t.deepEqual(device.faults, []);
});

test.serial("UART RX by interrupt: the next batch streams at wire rate into the ring while a step computes, nothing lost, bit-identical after every batch", async (t) => {
  const { device, board, node } = await streamedOnBoth(release, 4);
  t.deepEqual(board, node, "TRAIN replies and state digests after every batch");
  const stats = device.firmwareRxStats();
  t.log(`interrupt receiver: ${JSON.stringify(stats)}, harness overruns ${device.rxOverruns}`);
  t.truthy(stats, "the firmware's counters are at 0x20040000");
  t.is(device.rxOverruns, 0, "no byte found the FIFO full");
  t.is(stats!.fifoOverruns, 0);
  t.is(stats!.ringOverflows, 0);
  t.true(stats!.ringPeak > 32, `the ring held ${stats!.ringPeak} bytes at once: more than the FIFO could, so they arrived during a step`);
  t.deepEqual(device.faults, []);
});

test.serial("784-128-10 at batch 32, the largest MNIST MLP for the Pico's 256 KiB, trains bit-identically", async (t) => {
  // through sessions with the emulated chip's longer timeouts: its STATS digest over the
  // ~205 KB state takes longer than the CLI's 300 ms on a loaded machine (64 ms on a real Pico)
  const device = pico(release);
  const board = new Session(new TrapDetectTransport(device), SLOW);
  const reference = await emulatorSession();
  try {
    const spec = encodeSpec(parseSpec("784-128-10:tc,batch=32"));
    const { train } = mnist();
    const { images, labels } = new BatchSource(train, 32, 9).get(1);
    for (const x of [board, reference]) { await x.hello(); await x.init(spec, 9); }
    t.deepEqual(await board.train(1, images, labels), await reference.train(1, images, labels), "TRAIN reply");
    const [d, r] = [await board.stats(), await reference.stats()];
    t.is(d.digest, r.digest, "state digest after the batch");
    const info = await board.hello();
    // one more hidden unit would not fit: what is left is less than what it adds
    const planner = new DeviceModel({ path: releaseWasm });
    const [need, needWider] = ["784-128-10:tc,batch=32", "784-129-10:tc,batch=32"].map((s) => planner.requiredBytes(parseSpec(s)));
    t.log(`784-128-10 at batch 32 on the emulated Pico: ${info.freeMemory} bytes of linear memory left; 784-129-10 needs ${needWider - need} more`);
    t.true(info.freeMemory < needWider - need, "it fills SRAM0-3");
    t.deepEqual(device.faults, []);
  } finally {
    await board.close();
    await reference.close();
  }
});

test.serial("checkpoint to flash, watchdog reset, resume: the final state equals the undisturbed run's", async (t) => {
  const { train, test: testSet } = mnist();
  const job = (onBatch?: TrainJob["onBatch"]): TrainJob => ({
    spec: parseSpec(MODEL), seed: 5, epochs: 1, train, test: testSet, checkpointEvery: 3, resume: false, onBatch,
  });
  const reference = await emulatorSession();
  const undisturbed = await runTraining(reference, job()).finally(() => reference.close());

  const device = pico(release);
  const session = new Session(new TrapDetectTransport(device), SLOW);
  try {
    let resets = 0;
    const result = await runTraining(session, job((p) => {
      // batch 5 done: the flash holds the checkpoint of batch 3, batches 6.. are in flight
      if (p.id === 5 && resets === 0) { resets++; void device.reset(); }
    }));
    t.is(device.resets, 1, "one watchdog reset");
    t.true(result.recoveries >= 1, "the run noticed the reset and resumed");
    t.is(result.lastBatchId, 8);
    t.is(result.digest, undisturbed.digest, "final digest equals the undisturbed run's");
    t.is(result.testAccuracy, undisturbed.testAccuracy);
    t.deepEqual(result.state, undisturbed.state);

    // the checkpoint is in the last megabyte of the chip's flash and survives another reset
    await device.reset();
    const info = await session.hello();
    t.is(info.bootStatus, 1, "boot() restored the checkpoint from flash");
    t.is(info.model.lastBatchId, 8);
    t.is(info.model.digest, undisturbed.digest);
    const flash = device.mcu.flash;
    t.is(String.fromCharCode(...flash.subarray(PICO.flash - PICO.checkpoint_bytes, PICO.flash - PICO.checkpoint_bytes + 4)), "FMCP");
    t.deepEqual(device.faults, []);
  } finally {
    await session.close();
  }
});

test.serial("a trap in the module is a clear ProtocolError and the Pico serves again; a CPU fault halts with FEWMUL-FAULT", async (t) => {
  const spec = parseSpec(MODEL);
  const { train } = mnist();
  const device = pico(trapping);
  const transport = new TrapDetectTransport(device);
  const session = new Session(transport, SLOW);
  try {
    await session.hello();
    await session.init(encodeSpec(spec), 1);
    const { images, labels } = new BatchSource(train, spec.batch, 1).get(1);
    await session.train(1, images, labels);
    const err = await t.throwsAsync(session.checkpoint(), { instanceOf: ProtocolError });
    t.regex(err!.message, /FEWMUL-TRAP 5\b.*unreachable/);
    t.deepEqual(transport.traps.map((e) => e.code), [5]);
    const info = await session.hello();
    t.false(info.model.ready, "instance re-created: RAM lost");
  } finally {
    await session.close();
  }

  // an undefined instruction where the reset handler starts: rp2040js has no HardFault, the harness reports it
  const image = uf2ToImage(readFileSync(release.uf2!), RP2040_FAMILY, RP2040_FLASH_BASE, 64 * 1024);
  const reset = symbol(release.elf, "Reset_Handler") - RP2040_FLASH_BASE;
  image.set([0xfe, 0xde], reset); // udf #254
  const broken = new PicoEmulator({ uf2: toUf2(image, RP2040_FLASH_BASE, RP2040_FAMILY), flashBytes: PICO.flash });
  const faulted = new Promise<string>((r) => broken.onFault(r));
  const s2 = new Session(new TrapDetectTransport(broken), SLOW);
  try {
    t.regex(await faulted, /UDF\/trap #254 at 0x1/);
    const e2 = await t.throwsAsync(s2.hello(), { instanceOf: ProtocolError });
    t.regex(e2!.message, /FEWMUL-FAULT/);
  } finally {
    await s2.close();
  }
});

test.serial("flash: a copy onto a BOOTSEL drive boots; --port reboots a running Pico into BOOTSEL first", async (t) => {
  // a blank chip: the bootrom finds no valid boot2 and shows its drive
  const drive = join(work, "RPI-RP2");
  const device = new PicoEmulator({ flashBytes: PICO.flash, bootselDrive: drive });
  t.true(device.inBootsel);
  t.is(readFileSync(join(drive, "INFO_UF2.TXT"), "latin1"), BOOTSEL_INFO);
  const emulator = await startEmulator({ board: PICO, listen: "socket://127.0.0.1:0", device });
  try {
    const copied = await cli(["flash", "--board", "pico", "--drive", drive, "--json"]);
    t.is(copied.code, 0, copied.stderr);
    const r = JSON.parse(copied.stdout);
    t.like(r, { board: "pico", drive, rebooted_from_port: false });
    t.is(r.bytes, readFileSync(join("build", "pico", "fewmul.uf2")).length);
    t.false(existsSync(drive), "the drive went away");
    t.false(device.inBootsel);
    const v = await cli(["validate", "--board", "pico", "--port", emulator.port, "--batches", "1", "--model", MODEL, "--json"]);
    t.is(v.code, 0, v.stderr);
    t.true(JSON.parse(v.stdout).identical, "the copied image boots and trains");

    // now running fewmul: --port asks it to reboot into BOOTSEL, then the same copy
    const again = await cli(["flash", "--board", "pico", "--port", emulator.port, "--drive", drive, "--json"]);
    t.is(again.code, 0, again.stderr);
    t.like(JSON.parse(again.stdout), { rebooted_from_port: true });
    t.is(device.resets, 2, "booted twice from the drive");
    t.deepEqual(device.faults, []);

    // user errors: one line each
    mkdirSync(join(work, "not-a-drive"));
    const wrong = await cli(["flash", "--board", "pico", "--drive", join(work, "not-a-drive")]);
    t.is(wrong.code, 1);
    t.regex(wrong.stderr.trim().split("\n").pop()!, /^error: .*not-a-drive is not a BOOTSEL drive \(no INFO_UF2.TXT with Board-ID: RPI-RP2\)$/);
  } finally {
    await emulator.close();
  }
});
