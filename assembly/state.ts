// The model state blob: everything a device needs to continue training, in one contiguous
// byte range at the start of the arena (docs/model-format.md).
//
//   off size field
//   0   4    magic "FMUL"
//   4   u16  STATE_VERSION
//   6   u16  header bytes (64)
//   8   u32  total blob length
//   12  u32  CRC-32 of bytes [16, length): the state digest
//   16  48   spec (see spec.ts)
//   64  16   PRNG state (xorshift128 words)
//   80  u32  step counter
//   84  i32  learning-rate shift, Q16
//   88  u32  loss of the last step (squared hinge sum, Q8)
//   92  4    reserved
//   96  ...  per layer: int16 latent weights [nIn][nOut] (padded to 4 bytes),
//             int32 bias [nOut], int32 running mean [nOut], int32 running spread [nOut],
//             and for batches below 8 (online normalisation): int32 error mean [nOut],
//             int32 error projection [nOut], int32 their exponent
import { crc32 } from "./crc32";
import { OK, E_STATE_MAGIC, E_STATE_VERSION, E_STATE_SIZE, E_STATE_CRC, E_SPEC, E_NOT_READY } from "./errors";
import { SPEC, SPEC_BYTES, specValid } from "./spec";

export const MAGIC: u32 = 0x4C554D46; // "FMUL" little-endian
export const STATE_VERSION: u16 = 2;
export const HEADER_BYTES: i32 = 64;
export const COUNTERS_BYTES: i32 = 32;
export const O_RNG: usize = 64;
export const O_STEP: usize = 80;
export const O_LR: usize = 84;
export const O_LOSS: usize = 88;

export function writeHeader(state: usize, spec: usize, specBytes: i32, length: u32): void {
  store<u32>(state, MAGIC);
  store<u16>(state, STATE_VERSION, 4);
  store<u16>(state, <u16>HEADER_BYTES, 6);
  store<u32>(state, length, 8);
  store<u32>(state, 0, 12);
  for (let i = 0; i < specBytes; i++) store<u8>(state + 16 + i, load<u8>(spec + i));
  for (let i: usize = 92; i < 96; i++) store<u8>(state + i, 0);
}

/** CRC-32 of the blob (after the digest field); also stored in the header. */
export function sealState(state: usize, length: u32): u32 {
  let c = crc32(0, state + 16, <usize>length - 16);
  store<u32>(state, c, 12);
  return c;
}

/**
 * Checks a blob the host wrote at `state` for the model planned from SPEC (`length` bytes):
 * magic, version, length, same spec, digest. 0 or a negative status.
 */
export function checkState(state: usize, length: u32): i32 {
  if (length == 0) return E_NOT_READY;
  if (load<u32>(state) != MAGIC) return E_STATE_MAGIC;
  if (load<u16>(state, 4) != STATE_VERSION || load<u16>(state, 6) != <u16>HEADER_BYTES) return E_STATE_VERSION;
  if (load<u32>(state, 8) != length) return E_STATE_SIZE;
  for (let i = 0; i < SPEC_BYTES; i++) if (load<u8>(state + 16 + i) != load<u8>(SPEC + i)) return E_SPEC;
  if (!specValid(state + 16)) return E_SPEC;
  if (crc32(0, state + 16, <usize>length - 16) != load<u32>(state, 12)) return E_STATE_CRC;
  return OK;
}
