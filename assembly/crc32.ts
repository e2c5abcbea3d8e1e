// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), four bits at a time from a 16-entry
// table (64 bytes of RAM instead of 1 KiB). Used for state digests and by the wire protocol.

const TABLE: usize = memory.data<u32>([
  0x00000000, 0x1DB71064, 0x3B6E20C8, 0x26D930AC, 0x76DC4190, 0x6B6B51F4, 0x4DB26158, 0x5005713C,
  0xEDB88320, 0xF00F9344, 0xD6D6A3E8, 0xCB61B38C, 0x9B64C2B0, 0x86D3D2D4, 0xA00AE278, 0xBDBDF21C,
]);

/** Continues a CRC: pass 0 to start; the result is final (already inverted). */
export function crc32(crc: u32, ptr: usize, len: usize): u32 {
  let c = ~crc;
  let end = ptr + len;
  while (ptr < end) {
    c ^= load<u8>(ptr);
    c = load<u32>(TABLE + (<usize>(c & 15) << 2)) ^ (c >>> 4);
    c = load<u32>(TABLE + (<usize>(c & 15) << 2)) ^ (c >>> 4);
    ptr++;
  }
  return ~c;
}
