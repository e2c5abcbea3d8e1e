// A stand-in for the RP2040 bootrom under rp2040js. The real ROM image is not available here, so
// the emulator harness (pico-emulator.ts) writes this small one: the header fields the datasheet
// documents (2.8.3: magic "Mu", version, 16-bit pointers to the public function table and to
// rom_table_lookup at 0x14/0x18), a real Thumb rom_table_lookup, and for each function the
// firmware uses a two-instruction stub `bkpt #n; bx lr`. rp2040js reports the BKPT to the
// harness, which does what the datasheet says the function does (erase, program, reset to USB
// boot...) on the emulated flash and returns. The boot sequence itself (boot2 CRC check, copy to
// SRAM, entry with lr = 0) is done by the harness before the first instruction.

/** The two-letter codes of the functions the firmware looks up (datasheet 2.8.3.1). */
export const ROM_FUNCTIONS = {
  connect_internal_flash: "IF",
  flash_exit_xip: "EX",
  flash_range_erase: "RE",
  flash_range_program: "RP",
  flash_flush_cache: "FC",
  flash_enter_cmd_xip: "CX",
  reset_usb_boot: "UB",
} as const;
export type RomFunction = keyof typeof ROM_FUNCTIONS;

const NAMES = Object.keys(ROM_FUNCTIONS) as RomFunction[];
/** BKPT immediates: 0x80 + index into NAMES (the firmware itself never uses BKPT). */
export const BKPT_BASE = 0x80;
export function romFunctionOfBkpt(imm: number): RomFunction | undefined {
  return NAMES[imm - BKPT_BASE];
}

const FUNC_TABLE = 0x100;
const LOOKUP = 0x200;
const STUBS = 0x240;

/**
 * rom_table_lookup(const uint16_t *table, uint32_t code): walks (code, pointer) half-word
 * pairs until code 0 and returns the pointer of the matching code, or 0.
 */
const LOOKUP_CODE = [
  0x8802, //   loop:     ldrh r2, [r0]
  0x2a00, //             cmp  r2, #0
  0xd005, //             beq  missing
  0x428a, //             cmp  r2, r1
  0xd001, //             beq  found
  0x3004, //             adds r0, #4
  0xe7f8, //             b    loop
  0x8840, //   found:    ldrh r0, [r0, #2]
  0x4770, //             bx   lr
  0x2000, //   missing:  movs r0, #0
  0x4770, //             bx   lr
];

/** The 16 KB ROM image as rp2040js loads it (loadBootrom takes 32-bit words). */
export function romImage(): Uint32Array {
  const bytes = new Uint8Array(16 * 1024);
  const view = new DataView(bytes.buffer);
  view.setUint32(0x00, 0x20042000, true); // initial stack pointer (top of SRAM5)
  view.setUint32(0x04, STUBS + 1, true); // reset: never taken, the harness boots
  bytes.set([0x4d, 0x75, 0x01, 0x03], 0x10); // 'M' 'u' 0x01, version 3 (RP2040-B2)
  view.setUint16(0x14, FUNC_TABLE, true);
  view.setUint16(0x16, FUNC_TABLE + 0x80, true); // data table: empty
  view.setUint16(0x18, LOOKUP + 1, true); // Thumb function pointers have bit 0 set
  LOOKUP_CODE.forEach((h, i) => view.setUint16(LOOKUP + 2 * i, h, true));
  NAMES.forEach((name, i) => {
    const code = ROM_FUNCTIONS[name];
    const stub = STUBS + 4 * i;
    view.setUint16(FUNC_TABLE + 4 * i, code.charCodeAt(0) | (code.charCodeAt(1) << 8), true);
    view.setUint16(FUNC_TABLE + 4 * i + 2, stub + 1, true);
    view.setUint16(stub, 0xbe00 | (BKPT_BASE + i), true); // bkpt #(0x80 + i)
    view.setUint16(stub + 2, 0x4770, true); // bx lr
  });
  // table terminators (code 0) are the zeros that follow
  return new Uint32Array(bytes.buffer);
}
