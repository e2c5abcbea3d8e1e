// Byte copies of the device module: forward, between ranges that never overlap. One small loop
// instead of the standard library's memmove (the module's 16 KB budget); the largest copy, a
// batch frame's payload, is bounded by the frame size.

/** Copies n bytes from src to dst (non-overlapping). */
export function copyBytes(dst: usize, src: usize, n: usize): void {
  let end = src + n;
  while (src < end) { store<u8>(dst, load<u8>(src)); src++; dst++; }
}
