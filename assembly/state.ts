// The model state blob: everything a device needs to continue training, in one contiguous
// byte range at the start of the arena (docs/model-format.md).
// Header layout: assembly/shared/state.ts; then the counters (PRNG words, step, learning-rate
// shift, last loss) and per layer int16 latent weights [nIn][nOut] (padded to 4 bytes), int32
// bias [nOut], int32 running mean [nOut], int32 running spread [nOut], and for batches below 8
// (online normalisation) int32 error mean [nOut], int32 error projection [nOut], int32 their
// exponent.
import { crc32 } from "./crc32";
import { OK, E_STATE_MAGIC, E_STATE_VERSION, E_STATE_SIZE, E_STATE_CRC, E_SPEC, E_NOT_READY } from "./errors";
import { SPEC, SPEC_BYTES, specValid } from "./spec";
import {
  STATE_MAGIC, STATE_VERSION as VERSION, STATE_HEADER_BYTES, STATE_O_VERSION, STATE_O_HEADER_LEN,
  STATE_O_LENGTH, STATE_O_DIGEST, STATE_O_SPEC, STATE_O_RNG, STATE_O_STEP, STATE_O_LR, STATE_O_LOSS,
  STATE_O_LAYERS,
} from "./shared/state";
import { copyBytes } from "./bytes";

export const MAGIC: u32 = <u32>STATE_MAGIC;
export const STATE_VERSION: u16 = <u16>VERSION;
export const HEADER_BYTES: i32 = STATE_HEADER_BYTES;
export const COUNTERS_BYTES: i32 = STATE_O_LAYERS - STATE_HEADER_BYTES;
export const O_RNG: usize = STATE_O_RNG;
export const O_STEP: usize = STATE_O_STEP;
export const O_LR: usize = STATE_O_LR;
export const O_LOSS: usize = STATE_O_LOSS;

/** The header of a new blob, written over a zeroed state (digest and reserved bytes stay 0). */
export function writeHeader(state: usize, spec: usize, specBytes: i32, length: u32): void {
  store<u32>(state, MAGIC);
  store<u16>(state, STATE_VERSION, STATE_O_VERSION);
  store<u16>(state, <u16>HEADER_BYTES, STATE_O_HEADER_LEN);
  store<u32>(state, length, STATE_O_LENGTH);
  copyBytes(state + STATE_O_SPEC, spec, specBytes);
}

/** CRC-32 of the blob (after the digest field); also stored in the header. */
export function sealState(state: usize, length: u32): u32 {
  let c = crc32(0, state + STATE_O_SPEC, <usize>length - STATE_O_SPEC);
  store<u32>(state, c, STATE_O_DIGEST);
  return c;
}

/**
 * Checks a blob the host wrote at `state` for the model planned from SPEC (`length` bytes):
 * magic, version, length, same spec, digest. 0 or a negative status.
 */
export function checkState(state: usize, length: u32): i32 {
  if (length == 0) return E_NOT_READY;
  if (load<u32>(state) != MAGIC) return E_STATE_MAGIC;
  if (load<u16>(state, STATE_O_VERSION) != STATE_VERSION || load<u16>(state, STATE_O_HEADER_LEN) != <u16>HEADER_BYTES) return E_STATE_VERSION;
  if (load<u32>(state, STATE_O_LENGTH) != length) return E_STATE_SIZE;
  for (let i = 0; i < SPEC_BYTES; i++) if (load<u8>(state + STATE_O_SPEC + i) != load<u8>(SPEC + i)) return E_SPEC;
  if (!specValid()) return E_SPEC; // SPEC holds the same bytes here
  if (crc32(0, state + STATE_O_SPEC, <usize>length - STATE_O_SPEC) != load<u32>(state, STATE_O_DIGEST)) return E_STATE_CRC;
  return OK;
}
