// UF2 images for boards whose boot loader is a USB drive (the RP2040's BOOTSEL mode): 512-byte
// blocks, each carrying 256 bytes of flash at its address, flagged with the chip's family id.
// Block encoding and decoding are the `uf2` package's (https://github.com/microsoft/uf2 format).
import { blockSize, decodeBlock, encodeBlock, isUF2Block, UF2Flags } from "uf2";

/** UF2 family id of the RP2040 (the bootrom ignores blocks of other families). */
export const RP2040_FAMILY = 0xe48bff56;
/** Payload per block: the RP2040 bootrom accepts only 256-byte, 256-aligned payloads. */
export const UF2_PAYLOAD = 256;

/** Encodes `image` (to be written at flash address `base`) as UF2 blocks. */
export function toUf2(image: Uint8Array, base: number, family: number): Uint8Array {
  if (base % UF2_PAYLOAD) throw new Error(`UF2 base 0x${base.toString(16)} is not ${UF2_PAYLOAD}-byte aligned`);
  const total = Math.ceil(image.length / UF2_PAYLOAD);
  const out = new Uint8Array(total * blockSize);
  for (let i = 0; i < total; i++) {
    const payload = new Uint8Array(UF2_PAYLOAD); // the last block is padded with zeros
    payload.set(image.subarray(i * UF2_PAYLOAD, (i + 1) * UF2_PAYLOAD));
    encodeBlock({
      flags: UF2Flags.familyIDPresent,
      flashAddress: base + i * UF2_PAYLOAD,
      payload,
      blockNumber: i,
      totalBlocks: total,
      boardFamily: family,
    }, out, i * blockSize);
  }
  return out;
}

export interface Uf2Chunk { address: number; payload: Uint8Array }

/**
 * Decodes a UF2 file into its (address, payload) chunks for `family`, checking every block
 * (magic numbers, numbering, family). Throws with what is wrong and where.
 */
export function fromUf2(file: Uint8Array, family: number): Uf2Chunk[] {
  if (file.length === 0 || file.length % blockSize) throw new Error(`not a UF2 file: ${file.length} bytes is not a multiple of ${blockSize}`);
  const chunks: Uf2Chunk[] = [];
  const total = file.length / blockSize;
  for (let i = 0; i < total; i++) {
    const raw = file.subarray(i * blockSize, (i + 1) * blockSize);
    if (!isUF2Block(raw.slice())) throw new Error(`UF2 block ${i}: bad magic numbers`);
    const b = decodeBlock(raw);
    if (b.flags & UF2Flags.notMainFlash) continue;
    if (!(b.flags & UF2Flags.familyIDPresent) || b.boardFamily >>> 0 !== family) {
      throw new Error(`UF2 block ${i}: family 0x${(b.boardFamily >>> 0).toString(16)}, expected 0x${family.toString(16)}`);
    }
    if (b.blockNumber !== i || b.totalBlocks !== total) throw new Error(`UF2 block ${i}: numbered ${b.blockNumber}/${b.totalBlocks}`);
    chunks.push({ address: b.flashAddress >>> 0, payload: b.payload });
  }
  return chunks;
}

/** The bytes a UF2 file puts at [base, base + size): unwritten bytes stay 0xff (erased). */
export function uf2ToImage(file: Uint8Array, family: number, base: number, size: number): Uint8Array {
  const image = new Uint8Array(size).fill(0xff);
  for (const { address, payload } of fromUf2(file, family)) {
    const at = address - base;
    if (at < 0 || at + payload.length > size) {
      throw new Error(`UF2 block at 0x${address.toString(16)} is outside flash (0x${base.toString(16)}, ${size} bytes)`);
    }
    image.set(payload, at);
  }
  return image;
}
