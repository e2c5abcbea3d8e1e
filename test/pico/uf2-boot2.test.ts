// The Pico's image formats without the toolchain: UF2 blocks (family, 256-byte payloads,
// addresses, round trip), the boot2 CRC the bootrom checks, finding the BOOTSEL drive, and the
// ROM stand-in of the rp2040js harness. test/boards/pico.test.ts checks the built firmware.
import test from "ava";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RP2040 } from "rp2040js";
import { boot2Valid, crc32Mpeg2, sealBoot2 } from "../../host/boards/boot2.ts";
import { fromUf2, RP2040_FAMILY, toUf2, uf2ToImage } from "../../host/boards/uf2.ts";
import { findUf2Drives, uf2BoardId } from "../../host/boards/uf2-drive.ts";
import { BOOTSEL_INFO } from "../../host/emulator/pico.ts";
import { ROM_FUNCTIONS, romFunctionOfBkpt, romImage } from "../../host/emulator/pico-rom.ts";

const BASE = 0x10000000;
const bytes = (n: number, seed = 1) => {
  let x = seed;
  return Uint8Array.from({ length: n }, () => ((x = (x * 1103515245 + 12345) >>> 0), x >>> 24));
};

test("CRC-32/MPEG-2 has its catalogue check value", (t) => {
  t.is(crc32Mpeg2(new TextEncoder().encode("123456789")), 0x0376e6e7);
});

test("sealBoot2: 256 bytes, the CRC of the first 252 in the last 4; any flipped bit fails", (t) => {
  const block = sealBoot2(bytes(60));
  t.is(block.length, 256);
  t.true(boot2Valid(block));
  t.is(new DataView(block.buffer).getUint32(252, true), crc32Mpeg2(block.subarray(0, 252)));
  for (const at of [0, 59, 100, 251, 252, 255]) {
    const bad = block.slice();
    bad[at] ^= 0x10;
    t.false(boot2Valid(bad), `bit flipped at ${at}`);
  }
  t.throws(() => sealBoot2(bytes(253)), { message: /at most 252/ });
});

test("UF2: 512-byte blocks of 256-byte payloads at consecutive flash addresses, RP2040 family; parses back", (t) => {
  const image = bytes(1000);
  const uf2 = toUf2(image, BASE, RP2040_FAMILY);
  t.is(uf2.length, 4 * 512);
  const chunks = fromUf2(uf2, RP2040_FAMILY);
  t.deepEqual(chunks.map((c) => c.address), [BASE, BASE + 256, BASE + 512, BASE + 768]);
  t.true(chunks.every((c) => c.payload.length === 256));
  const view = new DataView(uf2.buffer);
  for (let i = 0; i < 4; i++) {
    t.is(view.getUint32(i * 512 + 8, true), 0x2000, "flags: family id present");
    t.is(view.getUint32(i * 512 + 28, true), 0xe48bff56);
  }
  const back = uf2ToImage(uf2, RP2040_FAMILY, BASE, 2048);
  t.deepEqual(back.subarray(0, 1000), image);
  t.true(back.subarray(1000, 1024).every((b) => b === 0), "last block padded with zeros");
  t.true(back.subarray(1024).every((b) => b === 0xff), "unwritten flash stays erased");
});

test("UF2: wrong family, damaged magic, truncation and out-of-flash blocks are refused", (t) => {
  const uf2 = toUf2(bytes(600), BASE, RP2040_FAMILY);
  t.throws(() => fromUf2(uf2, 0x12345678), { message: /block 0: family 0xe48bff56/ });
  const damaged = uf2.slice();
  damaged[512 + 3] ^= 1;
  t.throws(() => fromUf2(damaged, RP2040_FAMILY), { message: /block 1: bad magic/ });
  t.throws(() => fromUf2(uf2.subarray(0, 700), RP2040_FAMILY), { message: /not a multiple of 512/ });
  t.throws(() => uf2ToImage(uf2, RP2040_FAMILY, BASE, 512), { message: /outside flash/ });
});

test("BOOTSEL drives are found by INFO_UF2.TXT's Board-ID in the mount roots", (t) => {
  const root = mkdtempSync(join(tmpdir(), "fewmul-mounts-"));
  try {
    const pico = join(root, "RPI-RP2");
    const other = join(root, "CIRCUITPY");
    const stick = join(root, "USBSTICK");
    for (const d of [pico, other, stick]) mkdirSync(d);
    writeFileSync(join(pico, "INFO_UF2.TXT"), BOOTSEL_INFO);
    writeFileSync(join(other, "INFO_UF2.TXT"), "UF2 Bootloader 3.0\nModel: Feather\nBoard-ID: SAMD21G18A-Feather-v0\n");
    t.is(uf2BoardId(pico), "RPI-RP2");
    t.is(uf2BoardId(stick), undefined);
    t.deepEqual(findUf2Drives("RPI-RP2", [root, join(root, "absent")], "linux"), [pico]);
    t.deepEqual(findUf2Drives("RPI-RP2", [join(root, "absent")], "linux"), []);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("ROM stand-in: rom_table_lookup (Thumb, run by rp2040js) finds each function's BKPT stub", (t) => {
  const mcu = new RP2040();
  mcu.logger = { debug() {}, info() {}, warn() {}, error() {} };
  mcu.loadBootrom(romImage());
  t.is(mcu.readUint16(0x10), 0x754d, "'M' 'u' magic");
  const lookup = mcu.readUint16(0x18);
  const table = mcu.readUint16(0x14);
  t.is(lookup & 1, 1, "Thumb pointer");
  const call = (code: number): number => {
    const core = mcu.core;
    core.registers[0] = table;
    core.registers[1] = code;
    core.LR = 0x100001; // returns here: stop when PC reaches it
    core.SP = 0x20042000;
    core.PC = lookup & ~1;
    for (let i = 0; i < 1000 && core.PC !== 0x100000; i++) core.executeInstruction();
    t.is(core.PC, 0x100000, "returned");
    return core.registers[0];
  };
  for (const [name, code] of Object.entries(ROM_FUNCTIONS)) {
    const fn = call(code.charCodeAt(0) | (code.charCodeAt(1) << 8));
    t.not(fn, 0, name);
    t.is(fn & 1, 1);
    const bkpt = mcu.readUint16(fn & ~1);
    t.is(bkpt >> 8, 0xbe, `${name}: stub starts with BKPT`);
    t.is(romFunctionOfBkpt(bkpt & 0xff) as string | undefined, name);
    t.is(mcu.readUint16((fn & ~1) + 2), 0x4770, "then bx lr");
  }
  t.is(call(0x5a5a), 0, "unknown code: 0");
});
