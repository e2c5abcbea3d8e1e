// The RP2040's second-stage boot block (boards/firmware/boot2.S): the bootrom copies the first
// 256 bytes of flash to SRAM and runs them only if the CRC-32 of the first 252 bytes equals the
// little-endian word in the last 4 (datasheet 2.8.1.3.1). The CRC is CRC-32/MPEG-2: polynomial
// 0x04c11db7, not reflected, initial value 0xffffffff, no final xor.

export const BOOT2_SIZE = 256;
const CODE_MAX = BOOT2_SIZE - 4;

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/** CRC-32/MPEG-2 (check value of "123456789": 0x0376e6e7). */
export function crc32Mpeg2(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) crc = ((crc << 8) ^ TABLE[((crc >>> 24) ^ b) & 0xff]) >>> 0;
  return crc >>> 0;
}

/** boot2 code (at most 252 bytes) padded with zeros and sealed with its CRC: 256 bytes. */
export function sealBoot2(code: Uint8Array): Uint8Array {
  if (code.length > CODE_MAX) throw new Error(`boot2 is ${code.length} bytes, at most ${CODE_MAX} fit before its CRC`);
  const block = new Uint8Array(BOOT2_SIZE);
  block.set(code);
  new DataView(block.buffer).setUint32(CODE_MAX, crc32Mpeg2(block.subarray(0, CODE_MAX)), true);
  return block;
}

/** True when a 256-byte block carries the CRC the bootrom checks. */
export function boot2Valid(block: Uint8Array): boolean {
  if (block.length < BOOT2_SIZE) return false;
  const stored = new DataView(block.buffer, block.byteOffset, BOOT2_SIZE).getUint32(CODE_MAX, true);
  return crc32Mpeg2(block.subarray(0, CODE_MAX)) === stored;
}
