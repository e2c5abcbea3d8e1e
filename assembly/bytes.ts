// Byte copies and zero fills of the device module: small loops instead of the standard
// library's memmove and memset (the module's 16 KB budget). Copies go forward, between ranges
// that never overlap (the largest, a batch frame's payload, is bounded by the frame size);
// fills are whole aligned words (every tensor of the arena is).

/** Copies n bytes from src to dst (non-overlapping). */
export function copyBytes(dst: usize, src: usize, n: usize): void {
  let end = src + n;
  while (src < end) { store<u8>(dst, load<u8>(src)); src++; dst++; }
}

/** Zeroes the n bytes at p (p and n multiples of 4). */
export function zeroWords(p: usize, n: usize): void {
  let end = p + n;
  while (p < end) { store<u32>(p, 0); p += 4; }
}
