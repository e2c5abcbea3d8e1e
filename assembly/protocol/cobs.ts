// COBS byte stuffing (Cheshire & Baker): a frame never contains 0x00, so 0x00 delimits frames
// and a receiver that lost sync resynchronises at the next 0x00.

/** Encodes len bytes at src into dst followed by the 0x00 delimiter; returns bytes written. */
export function cobsEncode(src: usize, len: i32, dst: usize): i32 {
  let out = dst + 1;
  let codePos = dst;
  let code: u32 = 1;
  for (let i = 0; i < len; i++) {
    let b = load<u8>(src + <usize>i);
    if (b == 0) {
      store<u8>(codePos, <u8>code);
      codePos = out++;
      code = 1;
    } else {
      store<u8>(out++, b);
      if (++code == 0xFF) { // a full block of 254 data bytes carries no implied zero
        store<u8>(codePos, <u8>code);
        codePos = out++;
        code = 1;
      }
    }
  }
  store<u8>(codePos, <u8>code);
  store<u8>(out++, 0);
  return <i32>(out - dst);
}

// Streaming decoder: fed one non-zero byte at a time between delimiters, so a frame may
// arrive split over any number of io_feed calls. It writes at most `cap` bytes and records
// overflow instead of writing past the buffer.
let out: usize = 0;
let cap: i32 = 0;
let len: i32 = 0;
let code: u32 = 0;   // code byte of the current block
let left: u32 = 0;   // data bytes still to come in the current block
let started = false;
let overflow = false;

export function cobsDecodeStart(dst: usize, capacity: i32): void {
  out = dst; cap = capacity;
  len = 0; code = 0; left = 0; started = false; overflow = false;
}

function emit(b: u8): void {
  if (len < cap) store<u8>(out + <usize>len, b);
  else overflow = true;
  len++;
  if (len > cap) len = cap + 1; // saturate: never wraps however long the garbage runs
}

/** Feeds one byte of the frame body (never the 0x00 delimiter). */
export function cobsDecodeByte(b: u8): void {
  if (left == 0) {
    // b is a code byte; the previous block ended with an implied zero unless it was full.
    if (started && code != 0xFF) emit(0);
    code = b; left = b - 1; started = true;
  } else {
    emit(b);
    left--;
  }
}

/** True if anything but a bare delimiter was received since the start. */
export function cobsStarted(): bool { return started; }
/** The frame stopped inside a block: a byte was lost or a 0x00 was forged by noise. */
export function cobsTruncated(): bool { return left != 0; }
export function cobsOverflow(): bool { return overflow; }
/** Decoded bytes held in the buffer (at most cap). */
// @ts-ignore: decorator
@inline export function cobsLength(): i32 { return len > cap ? cap : len; }
