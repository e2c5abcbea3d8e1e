// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), table-driven. The table is built
// once with shifts and xors; used for state digests and by the wire protocol.

const TABLE: usize = memory.data(1024);
let built = false;

function build(): void {
  for (let n: u32 = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320 ^ (c >>> 1) : c >>> 1;
    store<u32>(TABLE + (<usize>n << 2), c);
  }
  built = true;
}

/** Continues a CRC: pass 0 to start; the result is final (already inverted). */
export function crc32(crc: u32, ptr: usize, len: usize): u32 {
  if (!built) build();
  let c = ~crc;
  let end = ptr + len;
  while (ptr < end) {
    c = load<u32>(TABLE + (<usize>((c ^ load<u8>(ptr)) & 255) << 2)) ^ (c >>> 8);
    ptr++;
  }
  return ~c;
}
