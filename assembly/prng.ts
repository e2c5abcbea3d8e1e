// Marsaglia's xorshift128: shifts and xors only (no multiplication), period 2^128 - 1.
// The four words live in globals during a step and are saved into the model state after it,
// so a device, the emulator and QEMU draw the same sequence from the same state.

let s0: u32 = 1;
let s1: u32 = 2;
let s2: u32 = 3;
let s3: u32 = 4;

// @ts-ignore: decorator
@inline export function nextInline(): u32 {
  let t = s0 ^ (s0 << 11);
  s0 = s1; s1 = s2; s2 = s3;
  s3 = s3 ^ (s3 >>> 19) ^ (t ^ (t >>> 8));
  return s3;
}

/** The next word: a call, for the draws outside the hot loops (those inline nextInline). */
export function next(): u32 { return nextInline(); }

export function rngLoad(ptr: usize): void {
  s0 = load<u32>(ptr); s1 = load<u32>(ptr, 4); s2 = load<u32>(ptr, 8); s3 = load<u32>(ptr, 12);
}

export function rngSave(ptr: usize): void {
  store<u32>(ptr, s0); store<u32>(ptr, s1, 4); store<u32>(ptr, s2, 8); store<u32>(ptr, s3, 12);
}

/** Seeds from 64 host bits; the state is never all zero. A few rounds decorrelate close seeds. */
export function rngSeed(lo: u32, hi: u32): void {
  s0 = lo ^ 0x9E3779B9; s1 = hi ^ 0x243F6A88; s2 = ~lo ^ 0xB7E15162; s3 = ~hi ^ 0x85A308D3;
  if ((s0 | s1 | s2 | s3) == 0) s3 = 1;
  for (let i = 0; i < 16; i++) next();
}

/**
 * A stream of `bits`-wide random fields cut from 32-bit words, so one draw serves
 * 32/bits decisions (bits is 1, 2, 4, 8 or 16). State: the word being consumed and how
 * many fields remain in it.
 */
let word: u32 = 0;
let fieldsLeft: i32 = 0;
let fieldBits: u32 = 8;
let fieldMask: u32 = 255;
let fieldsPerWord: i32 = 4;

export function setFieldBits(bits: u32): void {
  fieldBits = bits;
  fieldMask = (1 << bits) - 1;
  fieldsPerWord = 32 >> (ctz(bits));
  fieldsLeft = 0;
}

export function fieldWidth(): u32 { return fieldBits; }

// @ts-ignore: decorator
@inline export function field(): u32 {
  if (fieldsLeft == 0) { word = nextInline(); fieldsLeft = fieldsPerWord; }
  let r = word & fieldMask;
  word = word >>> fieldBits;
  fieldsLeft--;
  return r;
}

// sampleRow keeps the field stream in locals the same way (fieldsWord/fieldsCount/fieldsPut,
// refilled by field()'s rule).
// @ts-ignore: decorator
@inline export function fieldsWord(): u32 { return word; }
// @ts-ignore: decorator
@inline export function fieldsCount(): i32 { return fieldsLeft; }
// @ts-ignore: decorator
@inline export function fieldsPut(w: u32, count: i32): void { word = w; fieldsLeft = count; }

/** 8-bit and 16-bit fields for QBP rounding and update dithering, four / two per draw. */
let byteWord: u32 = 0;
let bytesLeft: i32 = 0;
let halfWord: u32 = 0;
let halvesLeft: i32 = 0;

// @ts-ignore: decorator
@inline export function byte(): u32 {
  if (bytesLeft == 0) { byteWord = nextInline(); bytesLeft = 4; }
  let r = byteWord & 255;
  byteWord = byteWord >>> 8;
  bytesLeft--;
  return r;
}

// @ts-ignore: decorator
@inline export function half(): u32 {
  if (halvesLeft == 0) { halfWord = next(); halvesLeft = 2; }
  let r = halfWord & 0xFFFF;
  halfWord = halfWord >>> 16;
  halvesLeft--;
  return r;
}

// A hot loop may keep the half() stream in locals (kernels/update.ts): it takes the stream
// with halvesWord()/halvesCount(), refills by half()'s rule (a word when no half is left, two
// per word, lowest first) and hands it back with halvesPut(): the same draws in the same order.
// @ts-ignore: decorator
@inline export function halvesWord(): u32 { return halfWord; }
// @ts-ignore: decorator
@inline export function halvesCount(): i32 { return halvesLeft; }
// @ts-ignore: decorator
@inline export function halvesPut(word: u32, count: i32): void { halfWord = word; halvesLeft = count; }

/** Every step starts on fresh words so that its draws depend only on the saved state. */
// @ts-ignore: decorator
@inline export function resetStreams(): void { fieldsLeft = 0; bytesLeft = 0; halvesLeft = 0; }
